import { noColumnStatisticsMigration } from '@app/platform';

/**
 * ANALYZE leaves alone the routing schema's documents and free text that no query filters, joins,
 * sorts or groups on (see noColumnStatisticsMigration).
 */
export const NoColumnStatistics1764800000000 = noColumnStatisticsMigration(
  'NoColumnStatistics1764800000000',
  {
    '"routing".outbox': ['envelope'],
    '"routing".routing_decisions': ['input', 'decision'],
  },
);
