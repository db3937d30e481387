import { noColumnStatisticsMigration } from '@app/platform';

/**
 * ANALYZE leaves alone the notification schema's documents and free text that no query filters,
 * joins, sorts or groups on (see noColumnStatisticsMigration).
 */
export const NoColumnStatistics1764800000000 = noColumnStatisticsMigration(
  'NoColumnStatistics1764800000000',
  {
    '"notification".outbox': ['envelope'],
    '"notification".deliveries': ['data', 'body', 'subject', 'last_error'],
    '"notification".delivery_attempts': ['error'],
    '"notification".cases': ['summary'],
  },
);
