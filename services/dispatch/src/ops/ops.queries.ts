import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NotFoundError, PRIORITY_RANK, Priority } from '@app/contracts';
import { AGING_BUCKETS, pointsOf, rate } from './ops-model';
import { OpsHotspotRollup } from './ops.hotspot-rollup';
import { OPS_CONFIG, OpsConfig } from './ops.config';
import { OPS_SCHEMA as S } from './ops.projection';
import type {
  AgingDto,
  BreachBoardDto,
  BreachSeriesDto,
  CaseFilterQuery,
  HotspotsDto,
  OpenCasesDto,
  OpsCaseDetailDto,
  TriageQueueDto,
  UnitPerformanceDto,
} from './ops.dto';

type Row = Record<string, unknown>;
const iso = (v: unknown): string | null => (v instanceof Date ? v.toISOString() : v ? String(v) : null);
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Filters on the open-case queries, as SQL with parameters (never values in the text). */
function caseFilter(f: CaseFilterQuery, params: unknown[]): string {
  const parts: string[] = ['is_open'];
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    params.push(value);
    parts.push(`${column} = $${params.length}`);
  };
  add('priority', f.priority);
  add('category_code', f.category);
  add('grid_code', f.grid);
  add('lead_unit_id', f.unit);
  return parts.join(' AND ');
}

/** The ops read model's queries. Each is one statement served by an index or a rollup. */
@Injectable()
export class OpsQueries {
  constructor(
    private readonly ds: DataSource,
    @Inject(OPS_CONFIG) private readonly config: OpsConfig,
    private readonly rollup: OpsHotspotRollup,
  ) {}

  /** Open cases by status, lead unit, category, grid and priority: one pass with GROUPING SETS. */
  async openCases(f: CaseFilterQuery): Promise<OpenCasesDto> {
    const params: unknown[] = [];
    const where = caseFilter(f, params);
    const rows: Row[] = await this.ds.query(
      `SELECT status, lead_unit_id, category_code, grid_code, priority,
              GROUPING(status, lead_unit_id, category_code, grid_code, priority) AS g, count(*)::int AS n,
              max(lead_unit_name) AS unit_name
       FROM ${S}.ops_cases WHERE ${where}
       GROUP BY GROUPING SETS ((status), (lead_unit_id), (category_code), (grid_code), (priority), ())`,
      params,
    );
    // GROUPING bit order: status=16, unit=8, category=4, grid=2, priority=1 (1 = not grouped by it).
    const pick = (mask: number, key: string) =>
      rows
        .filter((r) => num(r.g) === mask)
        .map((r) => ({
          key: (r[key] as string | null) ?? '',
          count: num(r.n),
          ...(key === 'lead_unit_id' && r.unit_name ? { label: String(r.unit_name) } : {}),
        }))
        .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
    const total = num(rows.find((r) => num(r.g) === 31)?.n);
    return {
      total,
      byStatus: pick(31 - 16, 'status'),
      byUnit: pick(31 - 8, 'lead_unit_id'),
      byCategory: pick(31 - 4, 'category_code'),
      byGrid: pick(31 - 2, 'grid_code'),
      byPriority: pick(31 - 1, 'priority').sort(
        (a, b) => (PRIORITY_RANK[a.key as Priority] ?? 9) - (PRIORITY_RANK[b.key as Priority] ?? 9),
      ),
    };
  }

  /** Open cases by age since reported (or first seen), per bucket and priority. */
  async aging(f: CaseFilterQuery, now = new Date()): Promise<AgingDto> {
    const params: unknown[] = [now.toISOString()];
    const where = caseFilter(f, params);
    const rows: Row[] = await this.ds.query(
      `SELECT width_bucket(extract(epoch FROM ($1::timestamptz - COALESCE(reported_at, status_at)))::float8,
                ARRAY[${AGING_BUCKETS.slice(1)
                  .map((b) => b.fromSeconds)
                  .join(',')}]::float8[]) AS b,
              priority, count(*)::int AS n
       FROM ${S}.ops_cases WHERE ${where} GROUP BY 1, 2`,
      params,
    );
    const buckets = AGING_BUCKETS.map((b, i) => {
      const mine = rows.filter((r) => num(r.b) === i);
      const byPriority: Record<string, number> = {};
      for (const r of mine) byPriority[String(r.priority ?? '')] = num(r.n);
      return { key: b.key, zh: b.zh, en: b.en, count: mine.reduce((s, r) => s + num(r.n), 0), byPriority };
    });
    return { asOf: now.toISOString(), buckets };
  }

  /** The live breach board: breaches whose deadline is still unmet, most overdue first. */
  async breachBoard(limit: number, now = new Date()): Promise<BreachBoardDto> {
    const rows: Row[] = await this.ds.query(
      `SELECT b.breach_id, b.case_id, b.task_id, b.unit_id, b.unit_name, b.deadline, b.due_at, b.breached_at,
              b.acknowledged_at, c.reference, c.status, c.priority, c.category_code, c.grid_code, c.building_code,
              c.description, c.lead_unit_name,
              extract(epoch FROM ($2::timestamptz - COALESCE(b.due_at, b.breached_at)))::int AS overdue_seconds
       FROM ${S}.ops_breaches b JOIN ${S}.ops_cases c ON c.case_id = b.case_id
       WHERE b.closed_at IS NULL
       ORDER BY COALESCE(b.due_at, b.breached_at) ASC LIMIT $1`,
      [limit, now.toISOString()],
    );
    const [{ n }] = (await this.ds.query(
      `SELECT count(*)::int AS n FROM ${S}.ops_breaches WHERE closed_at IS NULL`,
    )) as { n: number }[];
    return {
      asOf: now.toISOString(),
      total: n,
      items: rows.map((r) => ({
        breachId: String(r.breach_id),
        caseId: String(r.case_id),
        reference: (r.reference as string | null) ?? '',
        taskId: (r.task_id as string | null) ?? null,
        unitId: (r.unit_id as string | null) ?? null,
        unitName: ((r.unit_name ?? r.lead_unit_name) as string | null) ?? null,
        deadline: String(r.deadline),
        dueAt: iso(r.due_at),
        breachedAt: iso(r.breached_at)!,
        overdueSeconds: num(r.overdue_seconds),
        acknowledged: r.acknowledged_at !== null,
        status: String(r.status),
        priority: (r.priority as string | null) ?? null,
        category: (r.category_code as string | null) ?? null,
        grid: (r.grid_code as string | null) ?? null,
        building: (r.building_code as string | null) ?? null,
        description: (r.description as string | null) ?? null,
      })),
    };
  }

  /** Breaches per hour or day over [from, to), in the configured zone, empty buckets included. */
  async breachSeries(from: Date, to: Date, interval: 'hour' | 'day', tz: string): Promise<BreachSeriesDto> {
    const rows: Row[] = await this.ds.query(
      `WITH buckets AS (
         SELECT generate_series(date_trunc($3, $1::timestamptz AT TIME ZONE $4),
                                date_trunc($3, ($2::timestamptz - interval '1 microsecond') AT TIME ZONE $4),
                                ('1 ' || $3)::interval) AS local_start
       ), counts AS (
         SELECT date_trunc($3, breached_at AT TIME ZONE $4) AS local_start,
                count(*) FILTER (WHERE deadline = 'accept')::int AS accept,
                count(*) FILTER (WHERE deadline = 'resolve')::int AS resolve
         FROM ${S}.ops_breaches WHERE breached_at >= $1 AND breached_at < $2 GROUP BY 1
       )
       SELECT (b.local_start AT TIME ZONE $4) AS start, COALESCE(c.accept, 0) AS accept, COALESCE(c.resolve, 0) AS resolve
       FROM buckets b LEFT JOIN counts c USING (local_start) ORDER BY b.local_start`,
      [from.toISOString(), to.toISOString(), interval, tz],
    );
    const points = rows.map((r) => ({
      start: iso(r.start)!,
      accept: num(r.accept),
      resolve: num(r.resolve),
      total: num(r.accept) + num(r.resolve),
    }));
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      interval,
      timezone: tz,
      total: points.reduce((s, p) => s + p.total, 0),
      points,
    };
  }

  /**
   * Per-unit performance over tasks assigned in [from, to): accept and resolve times (p50/p90,
   * seconds from assignment), on-time rate (resolved with no breach and within resolveBy), return
   * rate, satisfaction of the cases it led, breaches and points (积分).
   */
  async unitPerformance(from: Date, to: Date): Promise<UnitPerformanceDto> {
    const rows: Row[] = await this.ds.query(
      `SELECT t.unit_id, max(t.unit_name) AS unit_name, max(t.unit_type) AS unit_type,
         count(*)::int AS tasks,
         count(t.accepted_at)::int AS accepted,
         count(t.resolved_at)::int AS resolved,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.accepted_at - t.assigned_at)) AS accept_p50,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.accepted_at - t.assigned_at)) AS accept_p90,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM t.resolved_at - t.assigned_at)) AS resolve_p50,
         percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM t.resolved_at - t.assigned_at)) AS resolve_p90,
         count(*) FILTER (WHERE t.resolved_at IS NOT NULL AND NOT t.accept_breached AND NOT t.resolve_breached
                           AND (t.resolve_by IS NULL OR t.resolved_at <= t.resolve_by))::int AS on_time,
         count(*) FILTER (WHERE t.resolved_at IS NOT NULL AND t.case_closed_at IS NOT NULL AND NOT t.accept_breached
                           AND NOT t.resolve_breached AND (t.resolve_by IS NULL OR t.resolved_at <= t.resolve_by))::int AS on_time_closed,
         count(t.returned_at)::int AS returned,
         (sum(t.accept_breached::int) + sum(t.resolve_breached::int))::int AS breaches,
         count(t.case_satisfaction) FILTER (WHERE COALESCE(t.role, 'lead') = 'lead' AND t.returned_at IS NULL)::int AS rated,
         count(*) FILTER (WHERE COALESCE(t.role, 'lead') = 'lead' AND t.returned_at IS NULL
                           AND t.case_satisfaction IN ('satisfied', 'basically_satisfied'))::int AS satisfied
       FROM ${S}.ops_tasks t
       WHERE t.assigned_at >= $1 AND t.assigned_at < $2 AND t.unit_id IS NOT NULL
       GROUP BY t.unit_id ORDER BY t.unit_id`,
      [from.toISOString(), to.toISOString()],
    );
    const round = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v)));
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      pointsRule: { ...this.config.points },
      units: rows.map((r) => ({
        unitId: String(r.unit_id),
        unitName: (r.unit_name as string | null) ?? null,
        unitType: (r.unit_type as string | null) ?? null,
        tasks: num(r.tasks),
        accepted: num(r.accepted),
        resolved: num(r.resolved),
        acceptSecondsP50: round(r.accept_p50),
        acceptSecondsP90: round(r.accept_p90),
        resolveSecondsP50: round(r.resolve_p50),
        resolveSecondsP90: round(r.resolve_p90),
        onTime: num(r.on_time),
        onTimeRate: rate(num(r.on_time), num(r.resolved)),
        returned: num(r.returned),
        returnRate: rate(num(r.returned), num(r.tasks)),
        rated: num(r.rated),
        satisfactionRate: rate(num(r.satisfied), num(r.rated)),
        breaches: num(r.breaches),
        onTimeClosed: num(r.on_time_closed),
        points: pointsOf(this.config.points, num(r.on_time_closed), num(r.breaches)),
      })),
    };
  }

  /** 民情地图: cases per grid (and building) per category over [from, to) days, from the daily rollup. */
  async hotspots(
    from: Date,
    to: Date,
    level: 'grid' | 'building',
    category: string | undefined,
    limit: number,
  ): Promise<HotspotsDto> {
    await this.rollup.rollup();
    const params: unknown[] = [from.toISOString(), to.toISOString(), this.config.timezone, limit];
    let categoryWhere = '';
    if (category !== undefined) {
      params.push(category);
      categoryWhere = `AND category_code = $${params.length}`;
    }
    const building = level === 'building' ? 'building_code' : `''`;
    const rows: Row[] = await this.ds.query(
      `SELECT grid_code, ${building} AS building_code, category_code, sum(cases)::int AS n
       FROM ${S}.ops_hotspot_daily
       WHERE day >= ($1::timestamptz AT TIME ZONE $3)::date AND day <= (($2::timestamptz - interval '1 microsecond') AT TIME ZONE $3)::date ${categoryWhere}
       GROUP BY 1, 2, 3 ORDER BY n DESC, 1, 2, 3 LIMIT $4`,
      params,
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      level,
      timezone: this.config.timezone,
      cells: rows.map((r) => ({
        grid: String(r.grid_code),
        ...(level === 'building' ? { building: String(r.building_code) } : {}),
        category: String(r.category_code),
        count: num(r.n),
      })),
    };
  }

  /** Cases waiting for a person to route them, most pressing first. */
  async triageQueue(limit: number, now = new Date()): Promise<TriageQueueDto> {
    const rows: Row[] = await this.ds.query(
      `SELECT case_id, reference, priority, category_code, grid_code, building_code, description, triage_reason,
              reported_at, status_at,
              extract(epoch FROM ($2::timestamptz - COALESCE(reported_at, status_at)))::int AS waiting_seconds
       FROM ${S}.ops_cases WHERE status = 'triage'
       ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
                COALESCE(reported_at, status_at) ASC
       LIMIT $1`,
      [limit, now.toISOString()],
    );
    const [{ n }] = (await this.ds.query(
      `SELECT count(*)::int AS n FROM ${S}.ops_cases WHERE status = 'triage'`,
    )) as { n: number }[];
    return {
      total: n,
      items: rows.map((r) => ({
        caseId: String(r.case_id),
        reference: (r.reference as string | null) ?? '',
        priority: (r.priority as string | null) ?? null,
        category: (r.category_code as string | null) ?? null,
        grid: (r.grid_code as string | null) ?? null,
        building: (r.building_code as string | null) ?? null,
        description: (r.description as string | null) ?? null,
        reason: (r.triage_reason as string | null) ?? null,
        reportedAt: iso(r.reported_at ?? r.status_at)!,
        waitingSeconds: num(r.waiting_seconds),
      })),
    };
  }

  /** One case as the read model knows it: state, tasks, breaches and the event timeline. */
  async caseDetail(caseId: string): Promise<OpsCaseDetailDto> {
    const [c]: Row[] = await this.ds.query(`SELECT * FROM ${S}.ops_cases WHERE case_id = $1`, [caseId]);
    if (!c) throw new NotFoundError('Case', 'OPS.CASE_NOT_FOUND');
    const tasks: Row[] = await this.ds.query(
      `SELECT * FROM ${S}.ops_tasks WHERE case_id = $1 ORDER BY assigned_at NULLS LAST, task_id`,
      [caseId],
    );
    const breaches: Row[] = await this.ds.query(
      `SELECT * FROM ${S}.ops_breaches WHERE case_id = $1 ORDER BY breached_at, breach_id`,
      [caseId],
    );
    const events: Row[] = await this.ds.query(
      `SELECT event_id, type, at, status, unit_id, unit_name, note FROM ${S}.ops_case_events
       WHERE case_id = $1 ORDER BY at, event_id LIMIT 500`,
      [caseId],
    );
    return {
      caseId,
      reference: (c.reference as string | null) ?? '',
      status: String(c.status),
      priority: (c.priority as string | null) ?? null,
      category: (c.category_code as string | null) ?? null,
      description: (c.description as string | null) ?? null,
      grid: (c.grid_code as string | null) ?? null,
      building: (c.building_code as string | null) ?? null,
      lat: numOrNull(c.lat),
      lng: numOrNull(c.lng),
      leadUnitId: (c.lead_unit_id as string | null) ?? null,
      leadUnitName: (c.lead_unit_name as string | null) ?? null,
      triage: Boolean(c.triage),
      triageReason: (c.triage_reason as string | null) ?? null,
      reportedAt: iso(c.reported_at),
      assignedAt: iso(c.assigned_at),
      acceptedAt: iso(c.accepted_at),
      resolvedAt: iso(c.resolved_at),
      closedAt: iso(c.closed_at),
      satisfaction: (c.satisfaction as string | null) ?? null,
      breachCount: num(c.breach_count),
      returnCount: num(c.return_count),
      tasks: tasks.map((t) => ({
        taskId: String(t.task_id),
        unitId: (t.unit_id as string | null) ?? null,
        unitName: (t.unit_name as string | null) ?? null,
        role: (t.role as string | null) ?? null,
        assignedAt: iso(t.assigned_at),
        acceptedAt: iso(t.accepted_at),
        resolvedAt: iso(t.resolved_at),
        returnedAt: iso(t.returned_at),
        acceptBy: iso(t.accept_by),
        resolveBy: iso(t.resolve_by),
        acceptBreached: Boolean(t.accept_breached),
        resolveBreached: Boolean(t.resolve_breached),
      })),
      breaches: breaches.map((b) => ({
        breachId: String(b.breach_id),
        deadline: String(b.deadline),
        unitId: (b.unit_id as string | null) ?? null,
        dueAt: iso(b.due_at),
        breachedAt: iso(b.breached_at)!,
        lateBySeconds: numOrNull(b.late_by_seconds),
        acknowledgedAt: iso(b.acknowledged_at),
        closedAt: iso(b.closed_at),
      })),
      timeline: events.map((e) => ({
        eventId: String(e.event_id),
        type: String(e.type),
        at: iso(e.at)!,
        status: (e.status as string | null) ?? null,
        unitId: (e.unit_id as string | null) ?? null,
        unitName: (e.unit_name as string | null) ?? null,
        note: (e.note as string | null) ?? null,
      })),
    };
  }

  /** A cheap fingerprint of what the live board shows, to push only changes. */
  async boardVersion(): Promise<string> {
    const [r]: Row[] = await this.ds.query(
      `SELECT (SELECT count(*) FROM ${S}.ops_breaches WHERE closed_at IS NULL) AS b,
              (SELECT count(*) FROM ${S}.ops_breaches WHERE acknowledged_at IS NOT NULL AND closed_at IS NULL) AS a,
              (SELECT max(breached_at) FROM ${S}.ops_breaches WHERE closed_at IS NULL) AS lb,
              (SELECT count(*) FROM ${S}.ops_cases WHERE status = 'triage') AS t,
              (SELECT max(status_at) FROM ${S}.ops_cases WHERE status = 'triage') AS lt`,
    );
    return `${r.b}|${r.a}|${iso(r.lb)}|${r.t}|${iso(r.lt)}`;
  }
}
