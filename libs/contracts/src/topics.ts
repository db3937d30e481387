/**
 * Every Kafka topic, version in the name. A breaking change to a payload is a new topic version;
 * an added optional field is not.
 */
export enum Topic {
  /** intake → routing: a new case from a resident report. Key: caseId. */
  CaseReported = 'case.reported.v1',
  /** intake → dispatch, notification: what residents add to an existing case (co-report, feedback, info). Key: caseId. */
  CaseResident = 'case.resident.v1',
  /** routing → dispatch: the decision who must act. Key: caseId. */
  CaseRouted = 'case.routed.v1',
  /** routing → dispatch: routing could not decide with confidence; a person must. Key: caseId. */
  CaseTriageRequired = 'case.triage-required.v1',
  /** dispatch → routing: a unit returned its task (退单); route again. Key: caseId. */
  CaseReturned = 'case.returned.v1',
  /** dispatch → notification, intake: every change of a case, in order per case. Key: caseId. */
  CaseLifecycle = 'case.lifecycle.v1',
  /** routing → dispatch, notification: reference data (compacted). Key: entity id. */
  ReferenceUnits = 'reference.units.v1',
  ReferenceAreas = 'reference.areas.v1',
  ReferenceCategories = 'reference.categories.v1',
  ReferenceSlaPolicies = 'reference.sla-policies.v1',
}

export const ALL_TOPICS: Topic[] = Object.values(Topic);

/** Reference topics are log-compacted: the latest value per entity id is the state. */
export const COMPACTED_TOPICS: ReadonlySet<Topic> = new Set([
  Topic.ReferenceUnits,
  Topic.ReferenceAreas,
  Topic.ReferenceCategories,
  Topic.ReferenceSlaPolicies,
]);

export const dlqTopicOf = (topic: string): string => `${topic}.dlq`;

/** Event types carried on each topic (the envelope's `type`). */
export const EVENT_TYPES = {
  [Topic.CaseReported]: ['case.reported'],
  [Topic.CaseResident]: ['case.co-reported', 'case.feedback-submitted', 'case.info-provided'],
  [Topic.CaseRouted]: ['case.routed'],
  [Topic.CaseTriageRequired]: ['case.triage-required'],
  [Topic.CaseReturned]: ['case.returned'],
  [Topic.CaseLifecycle]: [
    'case.triaged',
    'case.assigned',
    'case.accepted',
    'case.progress',
    'case.returned',
    'case.extension-requested',
    'case.extension-granted',
    'case.extension-refused',
    'case.info-requested',
    'case.info-provided',
    'case.resolved',
    'case.closed',
    'case.reopened',
    'case.cancelled',
    'case.merged',
    'case.co-reported',
    'case.sla-warning',
    'case.sla-breached',
    'case.escalated',
    'case.supervision-flagged',
    'case.escalation-acknowledged',
  ],
  [Topic.ReferenceUnits]: ['reference.unit'],
  [Topic.ReferenceAreas]: ['reference.area'],
  [Topic.ReferenceCategories]: ['reference.category'],
  [Topic.ReferenceSlaPolicies]: ['reference.sla-policy'],
} as const satisfies Record<Topic, readonly string[]>;

export type LifecycleEventType = (typeof EVENT_TYPES)[Topic.CaseLifecycle][number];
export type ResidentEventType = (typeof EVENT_TYPES)[Topic.CaseResident][number];
