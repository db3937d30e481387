import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JsonLogger } from '@app/observability';
import { LOGGER } from '@app/platform';
import { OPS_CONFIG, OpsConfig } from './ops.config';
import { OPS_SCHEMA as S } from './ops.projection';

/** Cases counted per rollup statement, at most. */
const BATCH = 5000;

/**
 * 民情地图 daily rollup: adds the cases the projection marked hotspot_pending to
 * ops_hotspot_daily, grouped by day, grid, building and category, in one statement that also
 * clears the marks (atomic: a case is counted exactly once). Rows a case transaction holds are
 * skipped and counted next time, so the rollup never makes the case path wait, and the shared
 * counter rows are locked only for this short statement. Runs every OPS_HOTSPOT_ROLLUP_MS and
 * before each hotspot query, so answers include every case projected before the call.
 */
@Injectable()
export class OpsHotspotRollup implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private readonly log: JsonLogger;

  constructor(
    private readonly ds: DataSource,
    @Inject(OPS_CONFIG) private readonly config: OpsConfig,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('ops-hotspot-rollup');
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.rollup().catch((err: unknown) => this.log.warn('hotspot rollup failed; retrying', err));
    }, this.config.hotspotRollupMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Counts every pending case (in batches); returns how many were counted. */
  async rollup(): Promise<number> {
    // One at a time per process; a caller arriving meanwhile waits for the run in flight and then runs again.
    while (this.running) await this.running.catch(() => undefined);
    this.running = this.drain();
    try {
      return await this.running;
    } finally {
      this.running = undefined;
    }
  }

  private async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ n }] = (await this.ds.query(
        `WITH picked AS (
           SELECT case_id FROM ${S}.ops_cases WHERE hotspot_pending ORDER BY case_id LIMIT $1 FOR UPDATE SKIP LOCKED
         ), counted AS (
           UPDATE ${S}.ops_cases c SET hotspot_pending = NULL FROM picked p WHERE c.case_id = p.case_id
           RETURNING c.hotspot_day, c.grid_code, c.building_code, c.category_code
         ), added AS (
           INSERT INTO ${S}.ops_hotspot_daily AS h (day, grid_code, building_code, category_code, shard, cases)
           SELECT hotspot_day, COALESCE(grid_code, ''), COALESCE(building_code, ''), COALESCE(category_code, ''), 0,
                  count(*)
             FROM counted WHERE hotspot_day IS NOT NULL GROUP BY 1, 2, 3, 4
           ON CONFLICT (day, grid_code, building_code, category_code, shard) DO UPDATE SET cases = h.cases + EXCLUDED.cases
         )
         SELECT count(*)::int AS n FROM counted`,
        [BATCH],
      )) as { n: number }[];
      total += n;
      if (n < BATCH) return total;
    }
  }
}
