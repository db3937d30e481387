import { DataSource } from 'typeorm';
import { createTestNamespace, TestNamespace } from '@app/testing';
import { createDataSource, noColumnStatisticsMigration } from '../src';

/**
 * noColumnStatisticsMigration on the real Postgres: after `up`, ANALYZE keeps statistics for the
 * columns queries filter on and none for the listed ones; after `down`, for all of them again.
 * (Statistics gathered before `up` would stay in pg_statistic, unread: the table is analyzed
 * first after it.)
 */
describe('columns without statistics (real Postgres)', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  const Migration = noColumnStatisticsMigration('NoColumnStatistics1764800000000', {
    'public.docs': ['body', 'doc'],
  });

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'colstats' });
    ds = createDataSource(
      { databaseUrl: ns.databaseUrl, schema: 'public', service: 'colstats-test' },
      [],
      [],
      1,
    );
    await ds.initialize();
    await ds.query(`CREATE TABLE docs (id int PRIMARY KEY, status text NOT NULL, body text, doc jsonb)`);
    await ds.query(
      `INSERT INTO docs SELECT g, (ARRAY['open', 'closed'])[1 + g % 2], repeat('text ', g % 40),
         jsonb_build_object('n', g, 'tags', jsonb_build_array('a', g % 7)) FROM generate_series(1, 2000) g`,
    );
  });

  afterAll(async () => {
    await ds?.destroy();
    await ns?.cleanup();
  });

  const targets = async () =>
    Object.fromEntries(
      (
        (await ds.query(
          `SELECT attname, attstattarget FROM pg_attribute WHERE attrelid = 'public.docs'::regclass AND attnum > 0 ORDER BY attnum`,
        )) as { attname: string; attstattarget: number }[]
      ).map((r) => [r.attname, Number(r.attstattarget)]),
    );
  const analyzed = async () => {
    await ds.query('ANALYZE docs');
    return (
      (await ds.query(
        `SELECT attname FROM pg_stats WHERE schemaname = 'public' AND tablename = 'docs' ORDER BY attname`,
      )) as { attname: string }[]
    ).map((r) => r.attname);
  };

  const migrate = async (direction: 'up' | 'down') => {
    const qr = ds.createQueryRunner();
    try {
      await new Migration()[direction](qr);
    } finally {
      await qr.release();
    }
  };

  it('up: ANALYZE skips the listed columns and keeps the others', async () => {
    await migrate('up');
    expect(await targets()).toEqual({ id: -1, status: -1, body: 0, doc: 0 });
    expect(await analyzed()).toEqual(['id', 'status']);
  });

  it('down: every column has the default target again', async () => {
    await migrate('down');
    expect(await targets()).toEqual({ id: -1, status: -1, body: -1, doc: -1 });
    expect(await analyzed()).toEqual(['body', 'doc', 'id', 'status']);
  });
});
