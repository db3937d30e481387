import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { requestWork } from '@app/platform';
import {
  CurrentStaff,
  DISPATCH_ROLES,
  Roles,
  StaffAuthGuard,
  StaffPrincipal,
  SUPERVISE_ROLES,
} from '../auth';
import {
  AcknowledgeEscalationDto,
  BreachesQuery,
  BreachPageDto,
  CaseSlaDto,
  EscalationDto,
  EscalationPageDto,
  EscalationsQuery,
} from './sla-center.dto';
import { SlaCenterHandler } from './sla-center.handler';

/** SLA supervision for the center: open breaches, escalations and their acknowledgement, a case's clocks. */
@ApiTags('center: SLA')
@ApiBearerAuth('staff')
@UseGuards(StaffAuthGuard)
@Controller('center/v1')
export class SlaCenterHttpController {
  constructor(private readonly handler: SlaCenterHandler) {}

  @Get('sla/breaches')
  @Roles(...DISPATCH_ROLES)
  @ApiOperation({ summary: 'Open SLA breaches, oldest deadline first; filter by unit, area, category' })
  @ApiOkResponse({ type: BreachPageDto })
  breaches(@Query() q: BreachesQuery) {
    return this.handler.breaches(q);
  }

  @Get('sla/escalations')
  @Roles(...DISPATCH_ROLES)
  @ApiOperation({ summary: 'Fired escalation steps (unacknowledged by default), oldest first' })
  @ApiOkResponse({ type: EscalationPageDto })
  escalations(@Query() q: EscalationsQuery) {
    return this.handler.escalations(q);
  }

  @Post('sla/escalations/:escalationId/acknowledge')
  @Roles(...SUPERVISE_ROLES)
  @HttpCode(200)
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Optional; a repeat returns the first answer',
  })
  @ApiOperation({ summary: 'A supervisor acknowledges an escalation (once; 409 when already acknowledged)' })
  @ApiOkResponse({ type: EscalationDto })
  async acknowledge(
    @CurrentStaff() s: StaffPrincipal,
    @Param('escalationId', new ParseUUIDPipe()) id: string,
    @Body() body: AcknowledgeEscalationDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const r = await this.handler.acknowledge(s, id, body, key, requestWork(res.req));
    if (r.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return r.body;
  }

  @Get('cases/:caseId/sla')
  @Roles(...DISPATCH_ROLES)
  @ApiOperation({
    summary: "A case's SLA clocks per task (deadlines, paused time, remaining or overdue) and its breaches",
  })
  @ApiOkResponse({ type: CaseSlaDto })
  caseSla(@Param('caseId', new ParseUUIDPipe()) caseId: string) {
    return this.handler.caseSla(caseId);
  }
}
