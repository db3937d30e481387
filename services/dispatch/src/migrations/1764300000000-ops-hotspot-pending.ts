import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ops_cases.hotspot_pending: a case waiting to be counted on the 民情地图 daily rollup. The
 * projection marks it (in the case's transaction) instead of incrementing the shared counter row
 * there: that row was locked until commit by every case of a place and category, which serialised
 * dispatch's routing consumer. OpsHotspotRollup counts the marked cases a few at a time, in one
 * statement, skipping rows a case transaction holds. Nullable, no default: adding it rewrites nothing.
 */
export class OpsHotspotPending1764300000000 implements MigrationInterface {
  name = 'OpsHotspotPending1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "dispatch".ops_cases ADD COLUMN hotspot_pending boolean`);
    await q.query(
      `CREATE INDEX ops_cases_hotspot_pending_idx ON "dispatch".ops_cases (case_id) WHERE hotspot_pending`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS "dispatch".ops_cases_hotspot_pending_idx`);
    await q.query(`ALTER TABLE "dispatch".ops_cases DROP COLUMN IF EXISTS hotspot_pending`);
  }
}
