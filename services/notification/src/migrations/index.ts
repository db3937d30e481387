import { Messaging1763900000000 } from './1763900000000-messaging';

/** Every migration of the notification schema, in order. */
export const NOTIFICATION_MIGRATIONS = [Messaging1763900000000];
