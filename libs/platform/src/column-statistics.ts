import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Table (schema-qualified, quoted as needed) → columns ANALYZE should leave alone. */
export type UnfilteredColumns = Record<string, readonly string[]>;

/**
 * A migration that turns statistics off (`SET STATISTICS 0`) for columns no query filters, joins,
 * sorts or groups on: JSON documents (a case's state and report, an event's envelope, a
 * delivery's data) and free text shown but never searched (the search reads `case_text`).
 *
 * ANALYZE sorts its sample of every column that has an ordering (30,000 rows): for jsonb that is
 * `jsonb_cmp` over detoasted documents, for text a collation-aware comparison. Autovacuum analyzes
 * a busy table each time a tenth of it changed, and the outbox and inbox tables, which stay small
 * while rows pass through them, every few seconds: in the bench at 100 cases/s (session 18) the
 * autovacuum workers used ~9 % of a core, almost all of it ANALYZE of deliveries, cases, timeline
 * and the outboxes. The planner never reads these columns' statistics, so nothing is lost; `down`
 * gives them back the default target (-1).
 *
 * `name` is the TypeORM migration name (class name with its 13-digit timestamp).
 */
export function noColumnStatisticsMigration(
  name: string,
  columns: UnfilteredColumns,
): new () => MigrationInterface {
  const alter = (target: number) =>
    Object.entries(columns).map(
      ([table, cols]) =>
        `ALTER TABLE ${table} ${cols.map((c) => `ALTER COLUMN ${c} SET STATISTICS ${target}`).join(', ')}`,
    );
  return class NoColumnStatistics implements MigrationInterface {
    name = name;

    async up(q: QueryRunner): Promise<void> {
      for (const sql of alter(0)) await q.query(sql);
    }

    async down(q: QueryRunner): Promise<void> {
      for (const sql of alter(-1)) await q.query(sql);
    }
  };
}
