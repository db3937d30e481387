import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { DataSource, MixedList, EntitySchema } from 'typeorm';
import type { PlatformConfig } from './config';

type Ctor = abstract new (...args: never[]) => unknown;

export function createDataSource(
  config: Pick<PlatformConfig, 'databaseUrl' | 'schema' | 'service'>,
  entities: MixedList<Ctor | EntitySchema>,
  migrations: Ctor[],
  poolSize = Number(process.env.DB_POOL_SIZE ?? '8'),
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
      Client: AutoPreparingClient,
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

/** See AutoPreparingClient's constructor: the pool and TypeORM act on the error themselves. */
function ignoreEndedConnection(): void {}

/** How often a statement text must have run in this process before it is prepared. */
const PREPARE_AFTER = 3;
/** Texts counted per process, and statements prepared per connection, at most. */
const MAX_COUNTED_TEXTS = 5000;
const MAX_PREPARED_PER_CONNECTION = 300;
/** Statement text → times run so far, or its prepared-statement name once it has run enough. */
const seen = new Map<string, number | string>();
const neverPrepare = new Set<string>();

/**
 * A pg client that turns a parameterised statement it has seen run a few times into a named
 * prepared statement (as the Postgres JDBC driver does with its prepareThreshold): Postgres
 * then parses it once per connection and may reuse a generic plan instead of planning every
 * call. The name is a hash of the text, so one text is one statement. Statements with no
 * parameters, and any statement after a connection holds MAX_PREPARED_PER_CONNECTION, run as
 * before. A statement whose cached plan went stale after a schema change ("cached plan must
 * not change result type") fails once and then runs unprepared.
 */
export class AutoPreparingClient extends Client {
  private prepared = 0;

  constructor(config?: ConstructorParameters<typeof Client>[0]) {
    super(config);
    // A connection Postgres ends (a restart, a terminated backend) emits 'error'. pg-pool listens
    // while the connection is idle and drops its listener when it hands the connection out; TypeORM
    // adds its own only a moment later, and an error read in between (a FATAL in the same packet as
    // the ReadyForQuery that completed the connection) was an 'error' event with no listener: an
    // uncaught exception that ended the service. Listening for the client's whole life makes that a
    // non-event; what matters still happens: the next query on it fails, the pool's and TypeORM's
    // listeners discard it, and the pool connects a new one.
    this.on('error', ignoreEndedConnection);
  }

  override query(...args: unknown[]): never {
    const [text, values, callback] = args;
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && callback === undefined) {
      const name = this.statementName(text);
      if (name) {
        const run = super.query({ name, text, values }) as unknown as Promise<unknown>;
        return run.catch((err: unknown) => {
          if ((err as { code?: string }).code === '0A000') neverPrepare.add(text);
          throw err;
        }) as never;
      }
    }
    return (super.query as (...a: unknown[]) => unknown)(...args) as never;
  }

  private statementName(text: string): string | undefined {
    if (neverPrepare.has(text)) return undefined;
    const known = seen.get(text);
    let name: string;
    if (typeof known === 'string') name = known;
    else {
      const n = (known ?? 0) + 1;
      if (seen.size >= MAX_COUNTED_TEXTS && known === undefined) return undefined;
      if (n <= PREPARE_AFTER) {
        seen.set(text, n);
        return undefined;
      }
      name = `s${createHash('sha1').update(text).digest('base64url')}`;
      seen.set(text, name);
    }
    const parsed = (this as unknown as { connection: { parsedStatements: Record<string, string> } })
      .connection.parsedStatements;
    if (parsed[name] === undefined) {
      if (this.prepared >= MAX_PREPARED_PER_CONNECTION) return undefined;
      this.prepared++;
    }
    return name;
  }
}
