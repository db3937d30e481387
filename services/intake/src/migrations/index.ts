import { Messaging1763900000000 } from './1763900000000-messaging';

/** Every migration of the intake schema, in order. */
export const INTAKE_MIGRATIONS = [Messaging1763900000000];
