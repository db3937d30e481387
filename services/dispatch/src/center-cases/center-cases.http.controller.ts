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
  AssignDto,
  CaseDetailDto,
  CasePageDto,
  FlagSupervisionDto,
  GrantExtensionDto,
  MergeDto,
  ReasonDto,
  ReassignDto,
  RefuseExtensionDto,
  ReopenDto,
  RequestInfoDto,
  SearchCasesQuery,
  TimelineEntryDto,
  TimelineQuery,
  TriagePageDto,
  TriageQueueQuery,
  VerifyCloseDto,
} from './center-cases.dto';
import { CenterAction, CenterCasesHandler } from './center-cases.handler';

const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  required: false,
  description: 'Optional; a repeat returns the first answer',
};
const D = DISPATCH_ROLES;
const SV = SUPERVISE_ROLES;

/**
 * Center API (staff bearer token or center_token cookie). Role matrix: see auth/roles.ts —
 * dispatcher: read, triage, assign, reassign, release support, cancel, merge, ask the resident;
 * supervisor (and admin): all of that plus extensions, verify & close, reopen, 督办.
 */
@ApiTags('center: cases')
@ApiBearerAuth('staff')
@UseGuards(StaffAuthGuard)
@Controller('center/v1')
export class CenterCasesHttpController {
  constructor(private readonly handler: CenterCasesHandler) {}

  @Get('triage')
  @Roles(...D)
  @ApiOperation({ summary: 'Triage queue: cases routing could not place (most pressing first)' })
  @ApiOkResponse({ type: TriagePageDto })
  triage(@Query() q: TriageQueueQuery) {
    return this.handler.triageQueue(q);
  }

  @Get('cases')
  @Roles(...D)
  @ApiOperation({
    summary: 'Search cases (status, unit, category, area, priority, date range, text), newest first',
  })
  @ApiOkResponse({ type: CasePageDto })
  search(@Query() q: SearchCasesQuery) {
    return this.handler.search(q);
  }

  @Get('cases/:caseId')
  @Roles(...D)
  @ApiOperation({ summary: 'One case with its report (reporter included), tasks, SLA and allowed commands' })
  @ApiOkResponse({ type: CaseDetailDto })
  get(@Param('caseId', new ParseUUIDPipe()) caseId: string) {
    return this.handler.get(caseId);
  }

  @Get('cases/:caseId/timeline')
  @Roles(...D)
  @ApiOperation({ summary: 'Append-only timeline; audience=partner|resident previews what they see' })
  @ApiOkResponse({ type: [TimelineEntryDto] })
  timeline(@Param('caseId', new ParseUUIDPipe()) caseId: string, @Query() q: TimelineQuery) {
    return this.handler.timeline(caseId, q);
  }

  @Post('cases/:caseId/assign')
  @Roles(...D)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Manual assignment (from triage or awaiting routing): lead and support units' })
  @ApiOkResponse({ type: CaseDetailDto })
  assign(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: AssignDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'assign', body }, key, res);
  }

  @Post('cases/:caseId/reassign')
  @Roles(...D)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Give the open lead task to another unit' })
  @ApiOkResponse({ type: CaseDetailDto })
  reassign(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: ReassignDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'reassign', body }, key, res);
  }

  @Post('cases/:caseId/tasks/:taskId/release')
  @Roles(...D)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Release a supporting unit (协办) from the case' })
  @ApiOkResponse({ type: CaseDetailDto })
  release(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Param('taskId', new ParseUUIDPipe()) taskId: string,
    @Body() body: RefuseExtensionDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(
      s,
      id,
      { type: 'release_support', taskId, ...(body.reason ? { reason: body.reason } : {}) },
      key,
      res,
    );
  }

  @Post('cases/:caseId/extension/approve')
  @Roles(...SV)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Grant the pending extension (supervisor)' })
  @ApiOkResponse({ type: CaseDetailDto })
  approveExtension(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: GrantExtensionDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'grant_extension', body }, key, res);
  }

  @Post('cases/:caseId/extension/refuse')
  @Roles(...SV)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Refuse the pending extension (supervisor)' })
  @ApiOkResponse({ type: CaseDetailDto })
  refuseExtension(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: RefuseExtensionDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(
      s,
      id,
      { type: 'refuse_extension', ...(body.reason ? { reason: body.reason } : {}) },
      key,
      res,
    );
  }

  @Post('cases/:caseId/verify-close')
  @Roles(...SV)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: '核查销号: verify the resolution and close (supervisor)' })
  @ApiOkResponse({ type: CaseDetailDto })
  verifyClose(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: VerifyCloseDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'verify_close', ...(body.note ? { note: body.note } : {}) }, key, res);
  }

  @Post('cases/:caseId/cancel')
  @Roles(...D)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Cancel the case (open tasks are cancelled)' })
  @ApiOkResponse({ type: CaseDetailDto })
  cancel(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: ReasonDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'cancel', reason: body.reason }, key, res);
  }

  @Post('cases/:caseId/merge')
  @Roles(...D)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Merge this duplicate into another open case' })
  @ApiOkResponse({ type: CaseDetailDto })
  merge(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: MergeDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'merge', body }, key, res);
  }

  @Post('cases/:caseId/supervision')
  @Roles(...SV)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: '督办: flag the case for supervision (supervisor)' })
  @ApiOkResponse({ type: CaseDetailDto })
  flag(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: FlagSupervisionDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(
      s,
      id,
      { type: 'flag_supervision', ...(body.reason ? { reason: body.reason } : {}) },
      key,
      res,
    );
  }

  @Post('cases/:caseId/reopen')
  @Roles(...SV)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: '重办: reopen a resolved or closed case (supervisor)' })
  @ApiOkResponse({ type: CaseDetailDto })
  reopen(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: ReopenDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'reopen', body }, key, res);
  }

  @Post('cases/:caseId/request-info')
  @Roles(...D)
  @HttpCode(200)
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Ask the resident for more information (SLA clocks pause until they answer)' })
  @ApiOkResponse({ type: CaseDetailDto })
  requestInfo(
    @CurrentStaff() s: StaffPrincipal,
    @Param('caseId', new ParseUUIDPipe()) id: string,
    @Body() body: RequestInfoDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.act(s, id, { type: 'request_info', question: body.question }, key, res);
  }

  private async act(
    s: StaffPrincipal,
    caseId: string,
    action: CenterAction,
    key: string | undefined,
    res: Response,
  ) {
    const r = await this.handler.act(s, caseId, action, key, requestWork(res.req));
    if (r.replayed) res.setHeader('Idempotent-Replayed', 'true');
    return r.body;
  }
}
