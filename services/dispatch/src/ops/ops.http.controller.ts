import { Controller, Get, Inject, MessageEvent, Param, Query, Sse, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { map, Observable } from 'rxjs';
import { ValidationFailedError } from '@app/contracts';
import { StaffAuthGuard } from '../auth';
import { checkPeriod, isKnownTimeZone, MAX_SERIES_POINTS, seriesLength } from './ops-model';
import { OPS_CONFIG, OpsConfig } from './ops.config';
import {
  AgingDto,
  BreachBoardDto,
  BreachSeriesDto,
  BreachSeriesQuery,
  CaseFilterQuery,
  CaseIdParam,
  HotspotQuery,
  HotspotsDto,
  LimitQuery,
  OpenCasesDto,
  OpsCaseDetailDto,
  PeriodQuery,
  TriageQueueDto,
  UnitPerformanceDto,
} from './ops.dto';
import { OpsQueries } from './ops.queries';
import { OpsStream } from './ops.stream';

function period(q: PeriodQuery): { from: Date; to: Date } {
  const from = new Date(q.from);
  const to = new Date(q.to);
  const problem = checkPeriod(from, to);
  if (problem)
    throw new ValidationFailedError(problem.problem, [{ field: problem.field, problems: [problem.problem] }]);
  return { from, to };
}

/** Ops API for the center's supervisors (any signed-in staff role). Read-only. */
@ApiTags('ops')
@ApiBearerAuth('staff')
@ApiCookieAuth('center_token')
@UseGuards(StaffAuthGuard)
@Controller('ops/v1')
export class OpsHttpController {
  constructor(
    private readonly queries: OpsQueries,
    private readonly stream: OpsStream,
    @Inject(OPS_CONFIG) private readonly config: OpsConfig,
  ) {}

  @Get('open-cases')
  @ApiOperation({ summary: 'Open cases by status, lead unit, category, grid and priority' })
  @ApiOkResponse({ type: OpenCasesDto })
  openCases(@Query() q: CaseFilterQuery): Promise<OpenCasesDto> {
    return this.queries.openCases(q);
  }

  @Get('aging')
  @ApiOperation({ summary: 'Open cases by age since reported (<1h, 1–4h, 4–24h, 1–3d, 3–7d, >7d)' })
  @ApiOkResponse({ type: AgingDto })
  aging(@Query() q: CaseFilterQuery): Promise<AgingDto> {
    return this.queries.aging(q);
  }

  @Get('breaches/open')
  @ApiOperation({ summary: 'SLA breaches now: deadlines still unmet, most overdue first (the breach board)' })
  @ApiOkResponse({ type: BreachBoardDto })
  breachBoard(@Query() q: LimitQuery): Promise<BreachBoardDto> {
    return this.queries.breachBoard(q.limit ?? 100);
  }

  @Get('breaches/series')
  @ApiOperation({ summary: 'SLA breaches over time, per hour or day, by deadline kind' })
  @ApiOkResponse({ type: BreachSeriesDto })
  breachSeries(@Query() q: BreachSeriesQuery): Promise<BreachSeriesDto> {
    const { from, to } = period(q);
    const interval = q.interval ?? 'day';
    const tz = q.tz ?? this.config.timezone;
    if (!isKnownTimeZone(tz))
      throw new ValidationFailedError('tz is not a known time zone', [
        { field: 'tz', problems: ['unknown IANA time zone'] },
      ]);
    if (seriesLength(from, to, interval) > MAX_SERIES_POINTS) {
      const problem = `at most ${MAX_SERIES_POINTS} points; use a wider interval or a shorter period`;
      throw new ValidationFailedError(problem, [{ field: 'interval', problems: [problem] }]);
    }
    return this.queries.breachSeries(from, to, interval, tz);
  }

  @Get('units/performance')
  @ApiOperation({
    summary:
      'Per-unit performance over tasks assigned in [from, to): accept/resolve p50/p90, on-time, return and satisfaction rates, points (积分)',
  })
  @ApiOkResponse({ type: UnitPerformanceDto })
  unitPerformance(@Query() q: PeriodQuery): Promise<UnitPerformanceDto> {
    const { from, to } = period(q);
    return this.queries.unitPerformance(from, to);
  }

  @Get('hotspots')
  @ApiOperation({
    summary: '民情地图: cases per grid (or building) per category over the days of [from, to)',
  })
  @ApiOkResponse({ type: HotspotsDto })
  hotspots(@Query() q: HotspotQuery): Promise<HotspotsDto> {
    const { from, to } = period(q);
    return this.queries.hotspots(from, to, q.level ?? 'grid', q.category, q.limit ?? 1000);
  }

  @Get('triage')
  @ApiOperation({
    summary: 'The triage queue: cases waiting for a person to route them, most pressing first',
  })
  @ApiOkResponse({ type: TriageQueueDto })
  triage(@Query() q: LimitQuery): Promise<TriageQueueDto> {
    return this.queries.triageQueue(q.limit ?? 100);
  }

  @Get('cases/:caseId')
  @ApiOperation({ summary: 'One case as the ops read model knows it: tasks, breaches, event timeline' })
  @ApiOkResponse({ type: OpsCaseDetailDto })
  caseDetail(@Param() p: CaseIdParam): Promise<OpsCaseDetailDto> {
    return this.queries.caseDetail(p.caseId);
  }

  @Sse('stream')
  @ApiOperation({
    summary: 'Server-sent events: `board` with the breach board and triage queue, on every change',
  })
  @ApiProduces('text/event-stream')
  streamBoard(): Observable<MessageEvent> {
    return this.stream.watch().pipe(map((u) => ({ type: u.type, data: u.data as object })));
  }
}
