import { MigrationInterface, QueryRunner } from 'typeorm';
import { messagingTablesDown, messagingTablesUp } from '@app/messaging';
import { idempotencyTableUp } from '@app/platform';

/** Outbox, inbox and idempotency keys of the notification schema. */
export class Messaging1763900000000 implements MigrationInterface {
  name = 'Messaging1763900000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of [...messagingTablesUp('notification'), ...idempotencyTableUp('notification')])
      await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS "notification".idempotency_keys');
    for (const sql of messagingTablesDown('notification')) await q.query(sql);
  }
}
