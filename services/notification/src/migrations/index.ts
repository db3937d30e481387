import { Messaging1763900000000 } from './1763900000000-messaging';
import { Notification1763900100000 } from './1763900100000-notification';
import { ClaimableIndex1763900200000 } from './1763900200000-claimable-index';
import { HotDeliveryQueue1763900300000 } from './1763900300000-hot-delivery-queue';
import { OutboxNoNotify1764400000000 } from './1764400000000-outbox-no-notify';
import { NoColumnStatistics1764800000000 } from './1764800000000-no-column-statistics';

/** Every migration of the notification schema, in order. */
export const NOTIFICATION_MIGRATIONS = [
  Messaging1763900000000,
  Notification1763900100000,
  ClaimableIndex1763900200000,
  HotDeliveryQueue1763900300000,
  OutboxNoNotify1764400000000,
  NoColumnStatistics1764800000000,
];
