import { Client } from 'pg';

/** Statements Postgres finished for one database: how many, and their execution time. */
export interface StatementTotals {
  calls: number;
  execMs: number;
}

/** Postgres's work over a step, from two readings of `pg_stat_statements`. */
export interface StatementRates {
  /** Top-level statements finished per second. */
  perSec: number;
  /** Their execution time, ms per second (10 = 1 % of a core). */
  execMsPerSec: number;
  /** Statements per report the step sent (partner work done in the window included). */
  perCase: number;
}

/** The rates between two readings `ms` apart, over `cases` reports. */
export function statementRates(
  before: StatementTotals,
  after: StatementTotals,
  ms: number,
  cases: number,
): StatementRates {
  const secs = Math.max(ms, 1) / 1000;
  const calls = after.calls - before.calls;
  return {
    perSec: Math.round(calls / secs),
    execMsPerSec: Math.round((after.execMs - before.execMs) / secs),
    perCase: cases ? Math.round((calls / cases) * 10) / 10 : 0,
  };
}

/**
 * Reads `pg_stat_statements` for the bench's database: what Postgres did per second of a step,
 * which moves far less with a busy machine than latencies do. Needs the extension's library
 * preloaded (deploy/local/infra.sh does); elsewhere `open` answers undefined and the column
 * says so.
 */
export class StatementMeter {
  private constructor(private readonly client: Client) {}

  static async open(databaseUrl: string, log: (s: string) => void): Promise<StatementMeter | undefined> {
    const client = new Client({ connectionString: databaseUrl, application_name: 'bench-meter' });
    try {
      await client.connect();
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      const meter = new StatementMeter(client);
      await meter.read();
      return meter;
    } catch (err) {
      log(`Postgres statements not measured: ${(err as Error).message}`);
      await client.end().catch(() => undefined);
      return undefined;
    }
  }

  async read(): Promise<StatementTotals> {
    const { rows } = await this.client.query<{ calls: number; ms: number }>(
      `SELECT COALESCE(sum(calls), 0)::float8 AS calls, COALESCE(sum(total_exec_time), 0)::float8 AS ms
       FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    );
    return { calls: rows[0].calls, execMs: rows[0].ms };
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
