import { Messaging1763900000000 } from './1763900000000-messaging';

/** Every migration of the dispatch schema, in order. */
export const DISPATCH_MIGRATIONS = [Messaging1763900000000];
