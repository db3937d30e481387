import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SLA engine: one row per breach (open until the deadline is met, the task ends or an extension
 * restarts the clock) and one row per fired escalation step (acknowledged by a supervisor).
 * The due index on task_sla (next_timer_at) is in DispatchCore.
 */
export class SlaEngine1764000000000 implements MigrationInterface {
  name = 'SlaEngine1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "dispatch".sla_breaches (
        breach_id uuid PRIMARY KEY,
        case_id uuid NOT NULL REFERENCES "dispatch".cases (case_id),
        task_id uuid NOT NULL REFERENCES "dispatch".tasks (task_id),
        unit_id text NOT NULL,
        deadline text NOT NULL CHECK (deadline IN ('accept', 'resolve')),
        due_at timestamptz NOT NULL,
        breached_at timestamptz NOT NULL,
        late_by_seconds int NOT NULL DEFAULT 0,
        resolved_at timestamptz,
        resolution text,
        UNIQUE (task_id, deadline, due_at)
      )`,
      `CREATE INDEX sla_breaches_open_idx ON "dispatch".sla_breaches (due_at, breach_id) WHERE resolved_at IS NULL`,
      `CREATE INDEX sla_breaches_open_unit_idx ON "dispatch".sla_breaches (unit_id, due_at, breach_id) WHERE resolved_at IS NULL`,
      `CREATE INDEX sla_breaches_task_idx ON "dispatch".sla_breaches (task_id)`,
      `CREATE INDEX sla_breaches_case_idx ON "dispatch".sla_breaches (case_id)`,
      `CREATE TABLE "dispatch".sla_escalations (
        escalation_id uuid PRIMARY KEY,
        breach_id uuid REFERENCES "dispatch".sla_breaches (breach_id),
        case_id uuid NOT NULL REFERENCES "dispatch".cases (case_id),
        task_id uuid NOT NULL REFERENCES "dispatch".tasks (task_id),
        unit_id text NOT NULL,
        deadline text NOT NULL CHECK (deadline IN ('accept', 'resolve')),
        due_at timestamptz NOT NULL,
        step int NOT NULL,
        action text NOT NULL,
        fired_at timestamptz NOT NULL,
        late_by_seconds int NOT NULL DEFAULT 0,
        acknowledged_by text,
        acknowledged_at timestamptz,
        acknowledge_note text,
        UNIQUE (task_id, deadline, due_at, step)
      )`,
      `CREATE INDEX sla_escalations_open_idx ON "dispatch".sla_escalations (fired_at, escalation_id) WHERE acknowledged_at IS NULL`,
      `CREATE INDEX sla_escalations_breach_idx ON "dispatch".sla_escalations (breach_id)`,
      `CREATE INDEX sla_escalations_case_idx ON "dispatch".sla_escalations (case_id)`,
    ];
    for (const sql of statements) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS "dispatch".sla_escalations`);
    await q.query(`DROP TABLE IF EXISTS "dispatch".sla_breaches`);
  }
}
