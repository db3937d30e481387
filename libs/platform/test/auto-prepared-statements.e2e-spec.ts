import { DataSource } from 'typeorm';
import { createTestNamespace, TestNamespace } from '@app/testing';
import { createDataSource } from '../src';

/**
 * The services' pg pool prepares a parameterised statement once it has run a few times, on the
 * real Postgres: the statement then shows in the connection's pg_prepared_statements, answers
 * stay the same, and a schema change that makes a cached plan stale costs one failure, not more.
 */
describe('auto-prepared statements (real Postgres)', () => {
  let ns: TestNamespace;
  let ds: DataSource;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'prepare' });
    ds = createDataSource(
      { databaseUrl: ns.databaseUrl, schema: 'public', service: 'prepare-test' },
      [],
      [],
      1,
    );
    await ds.initialize();
    await ds.query(`CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)`);
    await ds.query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g`);
  });

  afterAll(async () => {
    await ds?.destroy();
    await ns?.cleanup();
  });

  const preparedHere = async (): Promise<
    { statement: string; generic_plans: string; custom_plans: string }[]
  > =>
    (await ds.query(
      `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%FROM items%'`,
    )) as { statement: string; generic_plans: string; custom_plans: string }[];

  it('prepares a parameterised statement after its third run and keeps answering the same', async () => {
    const sql = `SELECT id, label FROM items WHERE id = $1`;
    for (let i = 1; i <= 3; i++) expect(await ds.query(sql, [i])).toEqual([{ id: i, label: `item ${i}` }]);
    expect(await preparedHere()).toEqual([]);
    for (let i = 4; i <= 12; i++) expect(await ds.query(sql, [i])).toEqual([{ id: i, label: `item ${i}` }]);
    const [p] = await preparedHere();
    expect(p.statement).toBe(sql);
    // Nine runs as a prepared statement: Postgres moved to its generic plan after five custom ones.
    expect(Number(p.generic_plans) + Number(p.custom_plans)).toBe(9);
    expect(Number(p.generic_plans)).toBeGreaterThan(0);
  });

  it('leaves statements without parameters unprepared', async () => {
    for (let i = 0; i < 6; i++) await ds.query(`SELECT count(*)::int AS n FROM items`);
    expect((await preparedHere()).filter((p) => p.statement.includes('count(*)'))).toEqual([]);
  });

  it('a statement made stale by a schema change fails once, then runs unprepared', async () => {
    const sql = `SELECT * FROM items WHERE id = $1`;
    for (let i = 1; i <= 5; i++) await ds.query(sql, [i]);
    await ds.query(`ALTER TABLE items ADD COLUMN note text`);
    await expect(ds.query(sql, [1])).rejects.toThrow(/cached plan must not change result type/);
    expect(await ds.query(sql, [1])).toEqual([{ id: 1, label: 'item 1', note: null }]);
  });
});
