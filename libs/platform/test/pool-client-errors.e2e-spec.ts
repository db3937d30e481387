import { Client } from 'pg';
import type { Pool, PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { createTestNamespace, TestNamespace } from '@app/testing';
import { createDataSource } from '../src';

/**
 * A pool connection that Postgres ends (a restart, pg_terminate_backend) while nobody listens for
 * its errors: pg-pool drops its own listener when it hands a connection out, and the borrower
 * (TypeORM's query runner) adds one only a moment later, so an error read in between — a FATAL in
 * the same packet as the ReadyForQuery that completed the connection — was an 'error' event with
 * no listener: an uncaught exception, and the service exited (CI's fault test, routing, during the
 * Postgres restart). The services' pg client listens for its whole life; the borrower still sees
 * the failure on its next query, and the pool replaces the connection.
 */
describe('a pool connection ended by Postgres while checked out (real Postgres)', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  let admin: Client;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'poolerr' });
    ds = createDataSource(
      { databaseUrl: ns.databaseUrl, schema: 'public', service: 'pool-errors-test' },
      [],
      [],
      2,
    );
    await ds.initialize();
    admin = new Client({ connectionString: ns.databaseUrl });
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await ds?.destroy();
    await ns?.cleanup();
  });

  it('does not throw when no borrower listens; the next query fails, and the pool goes on', async () => {
    const pool = (ds.driver as PostgresDriver).master as Pool;
    // Checked out with no listener of the borrower's own, as in the moment before TypeORM adds one.
    const client: PoolClient = await pool.connect();
    const [{ pid }] = (await client.query('SELECT pg_backend_pid() AS pid')).rows as { pid: number }[];
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
    await expect(client.query('SELECT 1')).rejects.toThrow(/not queryable|terminat/i);
    client.release(new Error('ended by Postgres'));
    expect(await ds.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
