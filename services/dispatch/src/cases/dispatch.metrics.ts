import { counter } from '@app/observability';

export const casesAssigned = counter(
  'cases_assigned_total',
  'Lead tasks given to a unit (routing, manual assignment, reopen)',
);
export const casesClosed = counter('cases_closed_total', 'Cases closed, by how', ['how']);
export const tasksReturned = counter('tasks_returned_total', 'Tasks a unit returned (退单)', ['role']);
export const writeConflicts = counter(
  'case_write_conflicts_total',
  'Writes of a case read without a lock that found it changed since (nothing written); then: retried, or locked (the last attempt failed: the change takes the case lock)',
  ['then'],
);
