import { MigrationInterface, QueryRunner } from 'typeorm';
import { outboxNotifyCreate, outboxNotifyDrop } from '@app/messaging';

/** The outbox no longer NOTIFYs on insert (see outboxNotifyDrop). */
export class OutboxNoNotify1764400000000 implements MigrationInterface {
  name = 'OutboxNoNotify1764400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of outboxNotifyDrop('intake')) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of outboxNotifyCreate('intake')) await q.query(sql);
  }
}
