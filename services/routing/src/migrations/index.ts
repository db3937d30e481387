import { Messaging1763900000000 } from './1763900000000-messaging';
import { RoutingReference1763900100000 } from './1763900100000-routing-reference';
import { OutboxNoNotify1764400000000 } from './1764400000000-outbox-no-notify';
import { NoColumnStatistics1764800000000 } from './1764800000000-no-column-statistics';

/** Every migration of the routing schema, in order. */
export const ROUTING_MIGRATIONS = [
  Messaging1763900000000,
  RoutingReference1763900100000,
  OutboxNoNotify1764400000000,
  NoColumnStatistics1764800000000,
];
