import { Messaging1763900000000 } from './1763900000000-messaging';
import { Intake1763900001000 } from './1763900001000-intake';
import { OutboxNoNotify1764400000000 } from './1764400000000-outbox-no-notify';
import { NoColumnStatistics1764800000000 } from './1764800000000-no-column-statistics';

/** Every migration of the intake schema, in order. */
export const INTAKE_MIGRATIONS = [
  Messaging1763900000000,
  Intake1763900001000,
  OutboxNoNotify1764400000000,
  NoColumnStatistics1764800000000,
];
