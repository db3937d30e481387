import { OPS_SCHEMA as S } from './ops.projection';

/** Anything that runs a parameterised statement: a TypeORM DataSource/EntityManager or a pg Client. */
export interface SqlRunner {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface OpsSeedOptions {
  /** Cases to add. */
  cases: number;
  /** Spread reported times over this many days before `now` (default 365). */
  days?: number;
  grids?: number;
  buildingsPerGrid?: number;
  units?: number;
  categories?: number;
  /** Share of cases still open, 0..1 (default 0.03). */
  openFraction?: number;
  /** Share of tasks that breached a deadline, 0..1 (default 0.08). */
  breachFraction?: number;
  /** Distinguishes the ids of several seeds in one database (default 'seed'). */
  tag?: string;
  now?: Date;
}

/**
 * Bulk-inserts N synthetic cases into the ops read model (ops_cases, ops_tasks, ops_breaches, and
 * the ops_hotspot_daily rollup) with generate_series, all set-based in SQL: about a minute for
 * 1,000,000 cases on a laptop. Values are deterministic per (tag, i), so a bench is repeatable.
 * For benchmarks only: it bypasses the consumer.
 */
export async function seedOpsReadModel(db: SqlRunner, o: OpsSeedOptions): Promise<void> {
  const p = [
    o.cases,
    o.days ?? 365,
    o.grids ?? 120,
    o.buildingsPerGrid ?? 40,
    o.units ?? 60,
    o.categories ?? 24,
    o.openFraction ?? 0.03,
    o.breachFraction ?? 0.08,
    o.tag ?? 'seed',
    (o.now ?? new Date()).toISOString(),
  ];
  // Per case i: r1..r4 are stable pseudo-random numbers in [0, 1) from md5(tag, i).
  const base = `
    WITH s AS (
      SELECT i,
        md5($9 || ':' || i)::uuid AS case_id,
        ('x' || substr(md5($9 || ':a:' || i), 1, 8))::bit(32)::bigint / 4294967296.0 AS r1,
        ('x' || substr(md5($9 || ':b:' || i), 1, 8))::bit(32)::bigint / 4294967296.0 AS r2,
        ('x' || substr(md5($9 || ':c:' || i), 1, 8))::bit(32)::bigint / 4294967296.0 AS r3,
        ('x' || substr(md5($9 || ':d:' || i), 1, 8))::bit(32)::bigint / 4294967296.0 AS r4
      FROM generate_series(1, $1::int) AS i
    ), c AS (
      SELECT s.*,
        $10::timestamptz - (r1 * $2::int * interval '1 day') AS reported_at,
        r2 < $7::float8 AS open,
        r3 < $8::float8 AS breached,
        'G' || lpad((1 + floor(r4 * $3::int))::int::text, 3, '0') AS grid,
        'B' || lpad((1 + floor(r2 * 1000)::int % $4::int)::text, 3, '0') AS building,
        'cat-' || (1 + floor(r3 * 1000)::int % $6::int) AS category,
        'unit-' || (1 + floor(r4 * 10000)::int % $5::int) AS unit,
        (ARRAY['urgent','high','normal','normal','normal','low'])[1 + floor(r1 * 6000)::int % 6] AS priority,
        (300 + r2 * 7200) AS accept_s,
        (3600 + r3 * 3 * 86400) AS resolve_s
      FROM s
    )`;
  await db.query(
    `${base}
    INSERT INTO ${S}.ops_cases (case_id, reference, status, status_at, status_rank, is_open, priority, category_code,
      description, grid_code, building_code, lead_unit_id, lead_unit_name, lead_unit_type, lead_at, triage, reported_at,
      routed_at, assigned_at, accepted_at, resolved_at, closed_at, satisfaction, accept_breached, resolve_breached,
      breach_count, hotspot_day, updated_at)
    SELECT case_id, 'SEED-' || $9 || '-' || i,
      CASE WHEN NOT open THEN 'closed' WHEN r1 < 0.01 THEN 'triage' WHEN r3 < 0.5 THEN 'assigned' ELSE 'accepted' END,
      reported_at + interval '1 minute', 4, open, priority, category, 'synthetic case ' || i, grid, building,
      unit, 'Unit ' || unit, 'property_management', reported_at + interval '1 minute', r1 < 0.01, reported_at,
      reported_at + interval '30 seconds', reported_at + interval '1 minute',
      CASE WHEN NOT open OR r3 >= 0.5 THEN reported_at + interval '1 minute' + accept_s * interval '1 second' END,
      CASE WHEN NOT open THEN reported_at + interval '1 minute' + resolve_s * interval '1 second' END,
      CASE WHEN NOT open THEN reported_at + interval '1 minute' + (resolve_s + 7200) * interval '1 second' END,
      CASE WHEN open THEN NULL WHEN r4 < 0.85 THEN 'satisfied' WHEN r4 < 0.95 THEN 'basically_satisfied' ELSE 'unsatisfied' END,
      false, breached, breached::int, (reported_at AT TIME ZONE 'Asia/Shanghai')::date, now()
    FROM c`,
    p,
  );
  await db.query(
    `${base}
    INSERT INTO ${S}.ops_tasks (task_id, case_id, unit_id, unit_name, unit_type, role, assigned_at, accepted_at, resolved_at,
      returned_at, accept_by, resolve_by, accept_breached, resolve_breached, case_closed_at, case_satisfaction)
    SELECT md5($9 || ':task:' || i)::uuid, case_id, unit, 'Unit ' || unit, 'property_management', 'lead',
      reported_at + interval '1 minute',
      CASE WHEN NOT open OR r3 >= 0.5 THEN reported_at + interval '1 minute' + accept_s * interval '1 second' END,
      CASE WHEN NOT open THEN reported_at + interval '1 minute' + resolve_s * interval '1 second' END,
      CASE WHEN r2 > 0.97 THEN reported_at + interval '2 hours' END,
      reported_at + interval '3 hours', reported_at + interval '4 days', false, breached,
      CASE WHEN NOT open THEN reported_at + interval '1 minute' + (resolve_s + 7200) * interval '1 second' END,
      CASE WHEN open THEN NULL WHEN r4 < 0.85 THEN 'satisfied' WHEN r4 < 0.95 THEN 'basically_satisfied' ELSE 'unsatisfied' END
    FROM c`,
    p,
  );
  await db.query(
    `${base}
    INSERT INTO ${S}.ops_breaches (breach_id, case_id, task_id, unit_id, unit_name, deadline, due_at, breached_at,
      late_by_seconds, closed_at)
    SELECT md5($9 || ':breach:' || i)::uuid, case_id, md5($9 || ':task:' || i)::uuid, unit, 'Unit ' || unit, 'resolve',
      reported_at + interval '3 days', reported_at + interval '3 days', 60,
      CASE WHEN NOT open THEN reported_at + interval '1 minute' + resolve_s * interval '1 second' END
    FROM c WHERE breached`,
    p,
  );
  await db.query(
    `${base}
    INSERT INTO ${S}.ops_hotspot_daily (day, grid_code, building_code, category_code, cases)
    SELECT (reported_at AT TIME ZONE 'Asia/Shanghai')::date, grid, building, category, count(*) FROM c GROUP BY 1, 2, 3, 4
    ON CONFLICT (day, grid_code, building_code, category_code, shard)
      DO UPDATE SET cases = ops_hotspot_daily.cases + EXCLUDED.cases`,
    p,
  );
  for (const t of ['ops_cases', 'ops_tasks', 'ops_breaches', 'ops_hotspot_daily'])
    await db.query(`ANALYZE ${S}.${t}`);
}
