import type { Pool, PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { gauge, histogram } from '@app/observability';

let observed: Pool | undefined;

gauge(
  'db_pool_clients',
  "The service's Postgres pool at scrape time: connections open (total), idle, and requests waiting for one",
  ['state'],
  function collect() {
    if (!observed) return;
    this.set({ state: 'total' }, observed.totalCount);
    this.set({ state: 'idle' }, observed.idleCount);
    this.set({ state: 'waiting' }, observed.waitingCount);
  },
);
const acquire = histogram(
  'db_pool_acquire_seconds',
  'Time a transaction or query waited for a pooled Postgres connection (a full pool shows here first)',
  [],
  [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);

/**
 * Makes the pool of an initialized DataSource visible in /metrics: its size, idle and waiting
 * counts when scraped, and how long each checkout waited. One pool per process is observed (the
 * service's own; a second call, as in tests that open several DataSources, changes nothing).
 */
export function observePool(dataSource: DataSource): void {
  const pool = (dataSource.driver as unknown as { master?: Pool }).master;
  if (!pool || observed) return;
  observed = pool;
  const connect = pool.connect.bind(pool) as (
    cb: (err: Error | undefined, client: PoolClient | undefined, release: () => void) => void,
  ) => void;
  // TypeORM checks out with the callback form; the promise form is left as it is.
  (pool as unknown as { connect: unknown }).connect = (cb?: (...a: unknown[]) => void) => {
    if (typeof cb !== 'function') return (connect as unknown as () => Promise<PoolClient>)();
    const end = acquire.startTimer();
    connect((err, client, release) => {
      end();
      cb(err, client, release);
    });
  };
}
