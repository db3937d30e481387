import { noColumnStatisticsMigration } from '@app/platform';

/**
 * ANALYZE leaves alone the intake schema's documents and free text that no query filters, joins,
 * sorts or groups on (see noColumnStatisticsMigration).
 */
export const NoColumnStatistics1764800000000 = noColumnStatisticsMigration(
  'NoColumnStatistics1764800000000',
  {
    '"intake".outbox': ['envelope'],
    '"intake".reports': ['description', 'reporter', 'location', 'media', 'attributes', 'last_resident_note'],
    '"intake".timeline': ['note'],
  },
);
