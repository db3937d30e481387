import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ops_tasks.case_closed_at / case_satisfaction: the closure and the resident's rating of the
 * task's case, copied onto each task row by the projection (when the case closes, and when a task
 * is added to a case that was closed before). Unit performance reads them without joining every
 * task in its period to ops_cases: that join hashed all of ops_cases (1,000,000 rows: 427 of
 * 684 ms for 30 days). Existing rows are filled from ops_cases.
 */
export class OpsTaskCaseOutcome1764500000000 implements MigrationInterface {
  name = 'OpsTaskCaseOutcome1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "dispatch".ops_tasks ADD COLUMN case_closed_at timestamptz, ADD COLUMN case_satisfaction text`,
    );
    await q.query(
      `UPDATE "dispatch".ops_tasks t SET case_closed_at = c.closed_at, case_satisfaction = c.satisfaction
         FROM "dispatch".ops_cases c
        WHERE c.case_id = t.case_id AND (c.closed_at IS NOT NULL OR c.satisfaction IS NOT NULL)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "dispatch".ops_tasks DROP COLUMN IF EXISTS case_closed_at, DROP COLUMN IF EXISTS case_satisfaction`,
    );
  }
}
