import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Drops two indexes of dispatch.cases that no query reads: `updated_at` (partners poll their
 * tasks by tasks.updated_at, tasks_unit_poll_idx) and `lead_unit_id` (a unit's cases are found
 * through its tasks; the ops read model has its own). Every case row written paid for them: its
 * insert, and each transition's update (status and updated_at change, so none is a HOT update and
 * every index of the row gets a new entry).
 */
export class CasesUnusedIndexes1764600000000 implements MigrationInterface {
  name = 'CasesUnusedIndexes1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "dispatch".cases_updated_idx`);
    await q.query(`DROP INDEX IF EXISTS "dispatch".cases_lead_unit_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS cases_lead_unit_idx ON "dispatch".cases (lead_unit_id)`);
    await q.query(`CREATE INDEX IF NOT EXISTS cases_updated_idx ON "dispatch".cases (updated_at)`);
  }
}
