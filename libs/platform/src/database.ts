import { DataSource, EntityManager, MixedList, EntitySchema } from 'typeorm';
import type { PlatformConfig } from './config';

type Ctor = abstract new (...args: never[]) => unknown;

export function createDataSource(
  config: Pick<PlatformConfig, 'databaseUrl' | 'schema' | 'service'>,
  entities: MixedList<Ctor | EntitySchema>,
  migrations: Ctor[],
  poolSize = Number(process.env.DB_POOL_SIZE ?? '20'),
): DataSource {
  return new DataSource({
    type: 'postgres',
    url: config.databaseUrl,
    schema: config.schema,
    entities: entities as never,
    migrations: migrations as never,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    applicationName: config.service,
    extra: {
      max: poolSize,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
      statement_timeout: 30000,
    },
  });
}

/**
 * Runs pending migrations of one schema under a session advisory lock, so two replicas booting
 * together do not race. Creates the schema first (TypeORM keeps its migrations table in it).
 */
export async function runMigrationsLocked(dataSource: DataSource, schema: string): Promise<string[]> {
  const qr = dataSource.createQueryRunner();
  await qr.connect();
  try {
    await qr.query(`SELECT pg_advisory_lock(hashtext($1))`, [`migrations:${schema}`]);
    await qr.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    const done = await dataSource.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await qr
      .query(`SELECT pg_advisory_unlock(hashtext($1))`, [`migrations:${schema}`])
      .catch(() => undefined);
    await qr.release();
  }
}

interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Runs a hot statement as a named prepared statement on the transaction's own connection:
 * Postgres parses it once per connection and, after a few runs, reuses a generic plan. Use it
 * for the few statements every event runs (planning a large CTE costs more than running it).
 * `name` must be unique per SQL text in the process. Outside a transaction (no query runner)
 * it falls back to an ordinary query.
 */
export async function queryPrepared<T = unknown>(
  manager: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<T[]> {
  const runner = manager.queryRunner;
  if (!runner || runner.isReleased) return (await manager.query(text, values)) as T[];
  const client = (await runner.connect()) as PgClient;
  const r = await client.query({ name, text, values });
  return r.rows as T[];
}
