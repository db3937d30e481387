import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DDL for the messaging tables every service has in its own schema: the outbox (written in the
 * same transaction as the state change, published by the relay) and the inbox (one row per
 * consumed event and consumer, written in the same transaction as the effect).
 * Services call these from their first migration.
 */
export function messagingTablesUp(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `CREATE TABLE ${s}.outbox (
      id bigserial PRIMARY KEY,
      event_id uuid NOT NULL UNIQUE,
      topic text NOT NULL,
      message_key text NOT NULL,
      event_type text NOT NULL,
      envelope jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz
    )`,
    `CREATE INDEX outbox_unpublished_idx ON ${s}.outbox (id) WHERE published_at IS NULL`,
    `CREATE INDEX outbox_published_at_idx ON ${s}.outbox (published_at) WHERE published_at IS NOT NULL`,
    `CREATE FUNCTION ${s}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${schema}_outbox', ''); RETURN NULL; END $$`,
    `CREATE TRIGGER outbox_notify AFTER INSERT ON ${s}.outbox FOR EACH STATEMENT EXECUTE FUNCTION ${s}.outbox_notify()`,
    `CREATE TABLE ${s}.inbox (
      event_id uuid NOT NULL,
      consumer text NOT NULL,
      topic text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (event_id, consumer)
    )`,
    `CREATE INDEX inbox_processed_at_idx ON ${s}.inbox (processed_at)`,
  ];
}

export function messagingTablesDown(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `DROP TABLE IF EXISTS ${s}.inbox`,
    `DROP TRIGGER IF EXISTS outbox_notify ON ${s}.outbox`,
    `DROP FUNCTION IF EXISTS ${s}.outbox_notify()`,
    `DROP TABLE IF EXISTS ${s}.outbox`,
  ];
}

/**
 * Removes the NOTIFY-on-insert trigger of the outbox (a later migration of every service). In
 * Postgres a transaction that ran NOTIFY takes one database-wide lock at commit and holds it
 * through its WAL flush, so every commit that wrote an outbox row, in all four services, queued
 * behind the others (the top wait at 100 cases/s). The relay is woken in-process after a commit,
 * through Redis for a relay in another replica (MessagingService), and by its poll.
 */
export function outboxNotifyDrop(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `DROP TRIGGER IF EXISTS outbox_notify ON ${s}.outbox`,
    `DROP FUNCTION IF EXISTS ${s}.outbox_notify()`,
  ];
}

/** Puts the trigger back (the down of that migration). */
export function outboxNotifyCreate(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `CREATE FUNCTION ${s}.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${schema}_outbox', ''); RETURN NULL; END $$`,
    `CREATE TRIGGER outbox_notify AFTER INSERT ON ${s}.outbox FOR EACH STATEMENT EXECUTE FUNCTION ${s}.outbox_notify()`,
  ];
}

/** The migration (same name in every service) that drops the trigger from `schema`'s outbox. */
export function outboxNoNotifyMigration(schema: string): new () => MigrationInterface {
  return class OutboxNoNotify1764400000000 implements MigrationInterface {
    name = 'OutboxNoNotify1764400000000';

    async up(q: QueryRunner): Promise<void> {
      for (const sql of outboxNotifyDrop(schema)) await q.query(sql);
    }

    async down(q: QueryRunner): Promise<void> {
      for (const sql of outboxNotifyCreate(schema)) await q.query(sql);
    }
  };
}
