import { MigrationInterface, QueryRunner } from 'typeorm';
import { messagingTablesDown, messagingTablesUp } from '@app/messaging';
import { idempotencyTableUp } from '@app/platform';

/** Outbox, inbox and idempotency keys of the intake schema. */
export class Messaging1763900000000 implements MigrationInterface {
  name = 'Messaging1763900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of [...messagingTablesUp('intake'), ...idempotencyTableUp('intake')]) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS "intake".idempotency_keys');
    for (const sql of messagingTablesDown('intake')) await q.query(sql);
  }
}
