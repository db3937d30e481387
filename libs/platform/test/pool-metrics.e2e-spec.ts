import { DataSource } from 'typeorm';
import { metricsRegistry } from '@app/observability';
import { createTestNamespace, TestNamespace } from '@app/testing';
import { createDataSource, observePool } from '../src';

/** One value of the registry: a gauge's by its labels, or a histogram's `_sum` / `_count`. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number> {
  const part = /_(sum|count)$/.exec(name);
  const metric = await metricsRegistry.getSingleMetric(part ? name.slice(0, part.index) : name)?.get();
  const value = metric?.values.find(
    (v) =>
      (!part || (v as { metricName?: string }).metricName === name) &&
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
  );
  if (value === undefined) throw new Error(`no sample of ${name} ${JSON.stringify(labels)}`);
  return value.value;
}

/** A full pool shows in /metrics: the waiting request while it waits, and how long it waited. */
describe('Postgres pool metrics (real Postgres)', () => {
  let ns: TestNamespace;
  let ds: DataSource;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'poolmetrics' });
    ds = createDataSource(
      { databaseUrl: ns.databaseUrl, schema: 'public', service: 'pool-metrics-test' },
      [],
      [],
      1,
    );
    await ds.initialize();
    observePool(ds, 'main');
  });

  afterAll(async () => {
    await ds?.destroy();
    await ns?.cleanup();
  });

  it('counts open, idle and waiting connections, and times each checkout', async () => {
    await ds.query('SELECT 1');
    expect(await sample('db_pool_clients', { pool: 'main', state: 'total' })).toBe(1);
    expect(await sample('db_pool_clients', { pool: 'main', state: 'idle' })).toBe(1);
    expect(await sample('db_pool_clients', { pool: 'main', state: 'waiting' })).toBe(0);
    const countBefore = await sample('db_pool_acquire_seconds_count', { pool: 'main' });
    const sumBefore = await sample('db_pool_acquire_seconds_sum', { pool: 'main' });

    // The pool's one connection held by a transaction; a second query has to wait for it.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tx = ds.transaction(async (m) => {
      await m.query('SELECT 1');
      await held;
    });
    while ((await sample('db_pool_clients', { pool: 'main', state: 'idle' })) !== 0)
      await new Promise((r) => setImmediate(r));
    const second = ds.query('SELECT 2 AS two');
    while ((await sample('db_pool_clients', { pool: 'main', state: 'waiting' })) !== 1)
      await new Promise((r) => setImmediate(r));
    // From here (the checkout already waiting) to the release: a part of the wait it must record.
    // Held for 100 ms, so that a timer recording next to nothing cannot pass for one that works.
    const seenWaiting = performance.now();
    await new Promise((r) => setTimeout(r, 100));
    release();
    const waited = (performance.now() - seenWaiting) / 1000;
    await tx;
    expect(await second).toEqual([{ two: 2 }]);

    expect(await sample('db_pool_clients', { pool: 'main', state: 'waiting' })).toBe(0);
    expect(await sample('db_pool_acquire_seconds_count', { pool: 'main' })).toBe(countBefore + 2);
    expect(
      (await sample('db_pool_acquire_seconds_sum', { pool: 'main' })) - sumBefore,
    ).toBeGreaterThanOrEqual(waited);
  });
});
