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
import { ApiHeader, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { requestWork } from '@app/platform';
import { CurrentUnit, PartnerAuthGuard, PartnerPrincipal } from '../units';
import {
  ListTasksQuery,
  PartnerTaskDto,
  PartnerTaskPageDto,
  ProgressNoteDto,
  RequestExtensionDto,
  ResolveTaskDto,
  ReturnTaskDto,
} from './partner-tasks.dto';
import { PartnerAction, PartnerTasksHandler } from './partner-tasks.handler';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description:
    'Optional but honoured: a repeat with the same key and body returns the first answer (Idempotent-Replayed: true)',
};

/**
 * Partner API: a unit (authenticated by its own API key) sees and works only its own tasks;
 * any other task id answers 404 and changes nothing.
 */
@ApiTags('partner: tasks')
@ApiSecurity('partner-key')
@ApiSecurity('partner-bearer')
@UseGuards(PartnerAuthGuard)
@Controller('partner/v1/tasks')
export class PartnerTasksHttpController {
  constructor(private readonly handler: PartnerTasksHandler) {}

  @Get()
  @ApiOperation({
    summary:
      "List the unit's tasks (status filter, updatedSince for polling, cursor pagination by update time)",
  })
  @ApiOkResponse({ type: PartnerTaskPageDto })
  list(@CurrentUnit() unit: PartnerPrincipal, @Query() query: ListTasksQuery) {
    return this.handler.list(unit, query);
  }

  @Get(':taskId')
  @ApiOperation({ summary: 'One task with what the unit needs to act (reporter hidden when confidential)' })
  @ApiOkResponse({ type: PartnerTaskDto })
  get(@CurrentUnit() unit: PartnerPrincipal, @Param('taskId', new ParseUUIDPipe()) taskId: string) {
    return this.handler.get(unit, taskId);
  }

  @Post(':taskId/accept')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: '签收: sign for the task' })
  @ApiOkResponse({ type: PartnerTaskDto })
  accept(
    @CurrentUnit() unit: PartnerPrincipal,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(unit, taskId, { type: 'accept' }, key, res);
  }

  @Post(':taskId/return')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({
    summary: '退单: return a task that is not this unit’s job; the case is routed again without this unit',
  })
  @ApiOkResponse({ type: PartnerTaskDto })
  returnTask(
    @CurrentUnit() unit: PartnerPrincipal,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body() body: ReturnTaskDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(unit, taskId, { type: 'return', reason: body.reason }, key, res);
  }

  @Post(':taskId/progress')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Add a progress note' })
  @ApiOkResponse({ type: PartnerTaskDto })
  progress(
    @CurrentUnit() unit: PartnerPrincipal,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body() body: ProgressNoteDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(unit, taskId, { type: 'progress', note: body.note }, key, res);
  }

  @Post(':taskId/extension')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: '申请延期: ask for more time (the center grants or refuses)' })
  @ApiOkResponse({ type: PartnerTaskDto })
  extension(
    @CurrentUnit() unit: PartnerPrincipal,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body() body: RequestExtensionDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(
      unit,
      taskId,
      { type: 'request_extension', reason: body.reason, requestedDueAt: body.requestedDueAt },
      key,
      res,
    );
  }

  @Post(':taskId/resolve')
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: '办结: resolve with a note and evidence' })
  @ApiOkResponse({ type: PartnerTaskDto })
  resolve(
    @CurrentUnit() unit: PartnerPrincipal,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body() body: ResolveTaskDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(
      unit,
      taskId,
      { type: 'resolve', note: body.note, ...(body.evidence ? { evidence: body.evidence } : {}) },
      key,
      res,
    );
  }

  private async act(
    unit: PartnerPrincipal,
    taskId: string,
    action: PartnerAction,
    key: string | undefined,
    res: Response,
  ) {
    const r = await this.handler.act(unit, taskId, action, key, requestWork(res.req));
    if (r.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return r.body;
  }
}
