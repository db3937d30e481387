import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminTokenGuard } from '../auth';
import { DeliveriesHandler } from './deliveries.handler';
import {
  DeliveryIdParam,
  DeliveryPage,
  DeliveryStatsView,
  DeliveryView,
  ListDeliveriesQuery,
  PageQuery,
  StatsQuery,
} from './deliveries.dto';

@ApiTags('deliveries')
@ApiBearerAuth()
@UseGuards(AdminTokenGuard)
@Controller('v1')
export class DeliveriesHttpController {
  constructor(private readonly handler: DeliveriesHandler) {}

  @Get('deliveries')
  @ApiOperation({
    summary: 'The delivery log, newest first, with every attempt (status, response code, latency)',
  })
  @ApiOkResponse({ type: DeliveryPage })
  list(@Query() q: ListDeliveriesQuery): Promise<DeliveryPage> {
    return this.handler.list({
      caseId: q.caseId,
      recipient: q.recipient,
      status: q.status,
      channel: q.channel,
      before: q.cursor,
      limit: q.limit ?? 50,
    });
  }

  @Get('deliveries/:id')
  @ApiOperation({ summary: 'One delivery with its attempts' })
  @ApiOkResponse({ type: DeliveryView })
  get(@Param() p: DeliveryIdParam): Promise<DeliveryView> {
    return this.handler.get(p.id);
  }

  @Get('delivery-stats')
  @ApiOperation({
    summary: 'Success rate and delivery latency (event → delivered) per channel, from the log',
  })
  @ApiOkResponse({ type: DeliveryStatsView })
  stats(@Query() q: StatsQuery): Promise<DeliveryStatsView> {
    return this.handler.stats(q.sinceHours ?? 24);
  }

  @Get('dead-letters')
  @ApiOperation({ summary: 'Deliveries that gave up (max attempts or a permanent refusal), newest first' })
  @ApiOkResponse({ type: DeliveryPage })
  deadLetters(@Query() q: PageQuery): Promise<DeliveryPage> {
    return this.handler.list({ status: 'dead', before: q.cursor, limit: q.limit ?? 50 });
  }

  @Post('dead-letters/:id/replay')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Puts a dead delivery back in the queue with the same deliveryId; earlier attempts stay in the log',
  })
  @ApiOkResponse({ type: DeliveryView })
  replay(@Param() p: DeliveryIdParam): Promise<DeliveryView> {
    return this.handler.replay(p.id);
  }
}
