import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { gauge, histogram } from '@app/observability';

/** Pools observed in this process, by name ('main': HTTP and timers; 'consumers': event handlers). */
const observed = new Map<string, Pool>();

gauge(
  'db_pool_clients',
  'A Postgres pool of the service at scrape time: connections open (total), idle, and requests waiting for one',
  ['pool', 'state'],
  function collect() {
    for (const [name, pool] of observed) {
      this.set({ pool: name, state: 'total' }, pool.totalCount);
      this.set({ pool: name, state: 'idle' }, pool.idleCount);
      this.set({ pool: name, state: 'waiting' }, pool.waitingCount);
    }
  },
);
const acquire = histogram(
  'db_pool_acquire_seconds',
  'Time a transaction or query waited for a pooled Postgres connection (a full pool shows here first)',
  ['pool'],
  [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);

/**
 * Makes the pool of an initialized DataSource visible in /metrics under `name`: its size, idle
 * and waiting counts when scraped, and how long each checkout waited. A name already observed
 * keeps its first pool (tests open several DataSources in one process).
 */
export function observePool(dataSource: DataSource, name: string): void {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool || observed.has(name)) return;
  observed.set(name, pool);
  const connect = pool.connect.bind(pool) as (
    cb: (err: Error | undefined, client: PoolClient | undefined, release: () => void) => void,
  ) => void;
  // TypeORM checks out with the callback form; the promise form is left as it is.
  (pool as unknown as { connect: unknown }).connect = (cb?: (...a: unknown[]) => void) => {
    if (typeof cb !== 'function') return (connect as unknown as () => Promise<PoolClient>)();
    const end = acquire.startTimer({ pool: name });
    connect((err, client, release) => {
      end();
      cb(err, client, release);
    });
  };
}
