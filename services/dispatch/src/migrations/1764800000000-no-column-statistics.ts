import { noColumnStatisticsMigration } from '@app/platform';

/**
 * ANALYZE leaves alone the dispatch schema's documents and free text that no query filters, joins,
 * sorts or groups on (see noColumnStatisticsMigration).
 */
export const NoColumnStatistics1764800000000 = noColumnStatisticsMigration(
  'NoColumnStatistics1764800000000',
  {
    '"dispatch".outbox': ['envelope'],
    '"dispatch".cases': ['report', 'state', 'sla_policy', 'description'],
    '"dispatch".timeline': ['data', 'note', 'resident_note'],
    '"dispatch".task_sla': ['sla', 'next_timer'],
    '"dispatch".ops_cases': ['description'],
    '"dispatch".ops_case_events': ['note'],
  },
);
