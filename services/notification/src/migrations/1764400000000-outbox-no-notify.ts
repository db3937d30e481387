import { outboxNoNotifyMigration } from '@app/messaging';

/** The outbox no longer NOTIFYs on insert (see outboxNotifyDrop). */
export const OutboxNoNotify1764400000000 = outboxNoNotifyMigration('notification');
