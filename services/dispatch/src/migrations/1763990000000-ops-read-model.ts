import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ops read model (services/dispatch/src/ops): fed only by events (case.routed,
 * case.triage-required, case.lifecycle), never joined with the case tables.
 *
 * What keeps each ops query fast on a large history:
 * - open cases by dimension, aging, triage queue: partial indexes `WHERE is_open` (the open set is
 *   small next to the closed history);
 * - breach board: partial index on ops_breaches `WHERE closed_at IS NULL`;
 * - breaches over time: (breached_at);
 * - unit performance: ops_tasks (assigned_at) covering the columns the aggregation reads;
 * - hotspots: the daily rollup ops_hotspot_daily (day, grid, building, category) upserted once per
 *   case in the consumer transaction.
 */
export class OpsReadModel1763990000000 implements MigrationInterface {
  name = 'OpsReadModel1763990000000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "dispatch".ops_cases (
        case_id uuid PRIMARY KEY,
        reference text,
        status text NOT NULL,
        status_at timestamptz NOT NULL,
        status_rank int NOT NULL,
        is_open boolean NOT NULL,
        priority text,
        category_code text,
        description text,
        grid_code text,
        building_code text,
        community_code text,
        lat double precision,
        lng double precision,
        lead_unit_id text,
        lead_unit_name text,
        lead_unit_type text,
        lead_at timestamptz,
        triage boolean NOT NULL DEFAULT false,
        triage_reason text,
        reported_at timestamptz,
        routed_at timestamptz,
        assigned_at timestamptz,
        accepted_at timestamptz,
        resolved_at timestamptz,
        closed_at timestamptz,
        satisfaction text,
        accept_breached boolean NOT NULL DEFAULT false,
        resolve_breached boolean NOT NULL DEFAULT false,
        breach_count int NOT NULL DEFAULT 0,
        return_count int NOT NULL DEFAULT 0,
        hotspot_day date,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX ops_cases_open_idx ON "dispatch".ops_cases (reported_at)
         INCLUDE (status, priority, category_code, grid_code, lead_unit_id) WHERE is_open`,
      `CREATE INDEX ops_cases_triage_idx ON "dispatch".ops_cases (status_rank, reported_at) WHERE status = 'triage'`,
      `CREATE INDEX ops_cases_reference_idx ON "dispatch".ops_cases (reference)`,

      `CREATE TABLE "dispatch".ops_tasks (
        task_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        unit_id text,
        unit_name text,
        unit_type text,
        role text,
        assigned_at timestamptz,
        accepted_at timestamptz,
        resolved_at timestamptz,
        returned_at timestamptz,
        accept_by timestamptz,
        resolve_by timestamptz,
        accept_breached boolean NOT NULL DEFAULT false,
        resolve_breached boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX ops_tasks_case_idx ON "dispatch".ops_tasks (case_id)`,
      `CREATE INDEX ops_tasks_assigned_idx ON "dispatch".ops_tasks (assigned_at)
         INCLUDE (unit_id, case_id, role, accepted_at, resolved_at, returned_at, resolve_by, accept_breached, resolve_breached)`,

      `CREATE TABLE "dispatch".ops_breaches (
        breach_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        task_id uuid,
        unit_id text,
        unit_name text,
        deadline text NOT NULL,
        due_at timestamptz,
        breached_at timestamptz NOT NULL,
        late_by_seconds int,
        acknowledged_at timestamptz,
        closed_at timestamptz
      )`,
      `CREATE INDEX ops_breaches_open_idx ON "dispatch".ops_breaches (due_at) WHERE closed_at IS NULL`,
      `CREATE INDEX ops_breaches_at_idx ON "dispatch".ops_breaches (breached_at)`,
      `CREATE INDEX ops_breaches_case_idx ON "dispatch".ops_breaches (case_id)`,

      `CREATE TABLE "dispatch".ops_case_events (
        event_id uuid PRIMARY KEY,
        case_id uuid NOT NULL,
        type text NOT NULL,
        at timestamptz NOT NULL,
        status text,
        unit_id text,
        unit_name text,
        note text
      )`,
      `CREATE INDEX ops_case_events_case_idx ON "dispatch".ops_case_events (case_id, at)`,

      `CREATE TABLE "dispatch".ops_hotspot_daily (
        day date NOT NULL,
        grid_code text NOT NULL,
        building_code text NOT NULL,
        category_code text NOT NULL,
        cases int NOT NULL,
        PRIMARY KEY (day, grid_code, building_code, category_code)
      )`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['ops_hotspot_daily', 'ops_case_events', 'ops_breaches', 'ops_tasks', 'ops_cases']) {
      await q.query(`DROP TABLE IF EXISTS "dispatch".${t}`);
    }
  }
}
