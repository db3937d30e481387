import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * ops_cases.hotspot_event_id: the event whose upsert first set hotspot_day (the case's one count
 * on the 民情地图 rollup). The projection upserts the case and counts it in ONE statement; the
 * upsert judges "first" on the locked row and names the event here, so the rollup insert in the
 * same statement knows whether to count. Nullable, no default: adding it rewrites nothing.
 */
export class OpsHotspotEvent1764200000000 implements MigrationInterface {
  name = 'OpsHotspotEvent1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "dispatch".ops_cases ADD COLUMN hotspot_event_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "dispatch".ops_cases DROP COLUMN IF EXISTS hotspot_event_id`);
  }
}
