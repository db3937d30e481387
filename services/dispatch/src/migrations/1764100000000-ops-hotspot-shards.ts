import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hotspot rollup's counters are split into 16 shards per (day, grid, building, category),
 * chosen by case id: consumers counting cases of the same place and category at the same time
 * no longer queue on one row. Queries sum the shards.
 */
export class OpsHotspotShards1764100000000 implements MigrationInterface {
  name = 'OpsHotspotShards1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "dispatch".ops_hotspot_daily ADD COLUMN shard smallint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE "dispatch".ops_hotspot_daily DROP CONSTRAINT ops_hotspot_daily_pkey`);
    await q.query(
      `ALTER TABLE "dispatch".ops_hotspot_daily ADD PRIMARY KEY (day, grid_code, building_code, category_code, shard)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "dispatch".ops_hotspot_daily_merged AS
         SELECT day, grid_code, building_code, category_code, sum(cases)::int AS cases
           FROM "dispatch".ops_hotspot_daily GROUP BY 1, 2, 3, 4`,
    );
    await q.query(`DROP TABLE "dispatch".ops_hotspot_daily`);
    await q.query(`ALTER TABLE "dispatch".ops_hotspot_daily_merged RENAME TO ops_hotspot_daily`);
    await q.query(
      `ALTER TABLE "dispatch".ops_hotspot_daily ADD PRIMARY KEY (day, grid_code, building_code, category_code)`,
    );
  }
}
