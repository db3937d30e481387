import { Messaging1763900000000 } from './1763900000000-messaging';

/** Every migration of the routing schema, in order. */
export const ROUTING_MIGRATIONS = [Messaging1763900000000];
