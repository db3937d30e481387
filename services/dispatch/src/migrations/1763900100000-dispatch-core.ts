import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cases, tasks, per-task SLA clocks, the append-only timeline, units (from reference.units),
 * staff accounts and tokens, resident feedback.
 */
export class DispatchCore1763900100000 implements MigrationInterface {
  name = 'DispatchCore1763900100000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE EXTENSION IF NOT EXISTS pg_trgm`,
      `CREATE TABLE "dispatch".cases (
        case_id uuid PRIMARY KEY,
        reference text NOT NULL UNIQUE,
        status text NOT NULL,
        priority text NOT NULL,
        category_code text,
        lead_unit_id text,
        description text NOT NULL,
        grid_code text,
        building_code text,
        community_code text,
        mandatory_report text,
        triage_reason text,
        supervision_flagged boolean NOT NULL DEFAULT false,
        report jsonb NOT NULL,
        state jsonb NOT NULL,
        sla_policy jsonb,
        routing_attempt int NOT NULL DEFAULT 0,
        auto_close_at timestamptz,
        version int NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX cases_status_idx ON "dispatch".cases (status, created_at DESC)`,
      `CREATE INDEX cases_priority_idx ON "dispatch".cases (priority)`,
      `CREATE INDEX cases_category_idx ON "dispatch".cases (category_code)`,
      `CREATE INDEX cases_lead_unit_idx ON "dispatch".cases (lead_unit_id)`,
      `CREATE INDEX cases_created_idx ON "dispatch".cases (created_at DESC, case_id DESC)`,
      `CREATE INDEX cases_updated_idx ON "dispatch".cases (updated_at)`,
      `CREATE INDEX cases_grid_idx ON "dispatch".cases (grid_code)`,
      `CREATE INDEX cases_building_idx ON "dispatch".cases (building_code)`,
      `CREATE INDEX cases_community_idx ON "dispatch".cases (community_code)`,
      `CREATE INDEX cases_description_trgm_idx ON "dispatch".cases USING gin (description gin_trgm_ops)`,
      `CREATE INDEX cases_reference_trgm_idx ON "dispatch".cases USING gin (reference gin_trgm_ops)`,
      `CREATE INDEX cases_auto_close_idx ON "dispatch".cases (auto_close_at) WHERE auto_close_at IS NOT NULL`,

      `CREATE TABLE "dispatch".tasks (
        task_id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES "dispatch".cases (case_id),
        unit_id text NOT NULL,
        unit_type text NOT NULL,
        unit_name text,
        role text NOT NULL,
        status text NOT NULL,
        assigned_at timestamptz NOT NULL,
        accepted_at timestamptz,
        ended_at timestamptz,
        accept_by timestamptz,
        resolve_by timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX tasks_unit_poll_idx ON "dispatch".tasks (unit_id, updated_at, task_id)`,
      `CREATE INDEX tasks_unit_status_idx ON "dispatch".tasks (unit_id, status)`,
      `CREATE INDEX tasks_case_idx ON "dispatch".tasks (case_id)`,

      // One SLA clock per task (sla-clock.ts SlaState); next_timer_at is the seam for the SLA scanner.
      `CREATE TABLE "dispatch".task_sla (
        task_id uuid PRIMARY KEY REFERENCES "dispatch".tasks (task_id),
        case_id uuid NOT NULL,
        policy_id text NOT NULL,
        sla jsonb NOT NULL,
        accept_by timestamptz NOT NULL,
        accept_warn_at timestamptz NOT NULL,
        resolve_by timestamptz NOT NULL,
        resolve_warn_at timestamptz NOT NULL,
        next_timer_at timestamptz,
        next_timer jsonb,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX task_sla_next_timer_idx ON "dispatch".task_sla (next_timer_at) WHERE next_timer_at IS NOT NULL`,
      `CREATE INDEX task_sla_case_idx ON "dispatch".task_sla (case_id)`,

      `CREATE TABLE "dispatch".timeline (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL,
        at timestamptz NOT NULL,
        actor_kind text NOT NULL,
        actor_id text,
        event_type text NOT NULL,
        visibility text[] NOT NULL,
        task_id uuid,
        unit_id text,
        note text,
        resident_note text,
        data jsonb NOT NULL DEFAULT '{}'::jsonb
      )`,
      `CREATE INDEX timeline_case_idx ON "dispatch".timeline (case_id, id)`,
      `CREATE FUNCTION "dispatch".timeline_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the timeline is append-only'; END $$`,
      `CREATE TRIGGER timeline_append_only BEFORE UPDATE OR DELETE ON "dispatch".timeline
        FOR EACH ROW EXECUTE FUNCTION "dispatch".timeline_append_only()`,

      `CREATE TABLE "dispatch".units (
        unit_id text PRIMARY KEY,
        name text NOT NULL,
        unit_type text NOT NULL,
        area_codes text[] NOT NULL DEFAULT '{}',
        contact jsonb NOT NULL DEFAULT '{}'::jsonb,
        active boolean NOT NULL,
        version int NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE "dispatch".unit_api_keys (
        key_hash text PRIMARY KEY,
        unit_id text NOT NULL REFERENCES "dispatch".units (unit_id) ON DELETE CASCADE
      )`,
      `CREATE INDEX unit_api_keys_unit_idx ON "dispatch".unit_api_keys (unit_id)`,

      `CREATE TABLE "dispatch".staff (
        staff_id uuid PRIMARY KEY,
        username text NOT NULL UNIQUE,
        display_name text NOT NULL,
        password_hash text NOT NULL,
        roles text[] NOT NULL,
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE "dispatch".staff_tokens (
        token_hash text PRIMARY KEY,
        staff_id uuid NOT NULL REFERENCES "dispatch".staff (staff_id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE INDEX staff_tokens_expires_idx ON "dispatch".staff_tokens (expires_at)`,

      `CREATE TABLE "dispatch".feedback (
        id bigserial PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES "dispatch".cases (case_id),
        at timestamptz NOT NULL,
        satisfaction text,
        confirmed boolean,
        comment text,
        outcome text NOT NULL
      )`,
      `CREATE INDEX feedback_case_idx ON "dispatch".feedback (case_id)`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'feedback',
      'staff_tokens',
      'staff',
      'unit_api_keys',
      'units',
      'timeline',
      'task_sla',
      'tasks',
      'cases',
    ]) {
      await q.query(`DROP TABLE IF EXISTS "dispatch".${t}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS "dispatch".timeline_append_only()`);
  }
}
