import type { CaseLifecyclePayload, ReportSnapshot, TaskSummaryDto, UnitType } from '@app/contracts';
import type { CaseDomainEvent } from '../domain';

/** Only the police and the center may see a confidential reporter (涉黑涉恶线索 and the like). */
export function mayUnitSeeReporter(report: ReportSnapshot, unitType: UnitType | undefined): boolean {
  if (report.reporter.anonymous) return false;
  return !report.reporter.confidential || unitType === 'police';
}

/** What a unit sees of the case: the reporter's identity is omitted unless it may see it. */
export function taskSummaryFor(
  report: ReportSnapshot,
  unitType: UnitType | undefined,
  priority: CaseLifecyclePayload['priority'] & string,
  categoryCode?: string,
): TaskSummaryDto {
  const reveal = mayUnitSeeReporter(report, unitType);
  const code = categoryCode ?? report.categoryCode;
  return {
    reference: report.reference,
    description: report.description,
    ...(code ? { categoryCode: code } : {}),
    priority,
    location: { ...report.location },
    ...(reveal && report.reporter.name ? { reporterName: report.reporter.name } : {}),
    ...(reveal && report.reporter.phone ? { reporterPhone: report.reporter.phone } : {}),
    reporterConfidential: report.reporter.confidential,
  };
}

export interface TaskDeadlines {
  acceptBy: Date;
  resolveBy: Date;
}

const clip = (s: string | undefined, max: number): string | undefined =>
  s === undefined ? undefined : s.slice(0, max);

/** A domain event as the case.lifecycle.v1 payload. */
export function toLifecyclePayload(
  e: CaseDomainEvent,
  report: ReportSnapshot,
  deadlines?: TaskDeadlines,
): CaseLifecyclePayload {
  const note = clip(e.note ?? e.reason ?? e.comment, 4000);
  const withTask = e.type === 'case.assigned' || e.type === 'case.reopened';
  const p: CaseLifecyclePayload = {
    caseId: e.caseId,
    reference: e.reference,
    status: e.status,
    priority: e.priority,
    ...(e.categoryCode ? { categoryCode: e.categoryCode } : {}),
    ...(e.taskId ? { taskId: e.taskId } : {}),
    ...(e.taskRole ? { taskRole: e.taskRole } : {}),
    ...(e.unitId ? { unitId: e.unitId } : {}),
    ...(e.unitType ? { unitType: e.unitType } : {}),
    ...(e.unitName ? { unitName: e.unitName } : {}),
    actorKind: e.actorKind,
    ...(e.actorId ? { actorId: e.actorId } : {}),
    ...(note ? { note } : {}),
    residentVisible: e.residentVisible,
    ...(e.residentNote ? { residentNote: clip(e.residentNote, 1000) } : {}),
    ...(withTask && deadlines
      ? { acceptBy: deadlines.acceptBy.toISOString(), resolveBy: deadlines.resolveBy.toISOString() }
      : {}),
    ...(e.type === 'case.extension-granted' && e.dueAt ? { resolveBy: e.dueAt.toISOString() } : {}),
    ...(e.type === 'case.extension-requested' && e.requestedDueAt
      ? { dueAt: e.requestedDueAt.toISOString() }
      : {}),
    ...(e.closedHow ? { closedHow: e.closedHow } : {}),
    ...(e.satisfaction ? { satisfaction: e.satisfaction } : {}),
    ...(e.mergedInto ? { mergedInto: e.mergedInto } : {}),
    ...(e.mergedIntoReference ? { mergedIntoReference: e.mergedIntoReference } : {}),
    ...(withTask ? { task: taskSummaryFor(report, e.unitType, e.priority, e.categoryCode) } : {}),
    ...(e.evidence?.length ? { evidence: e.evidence } : {}),
    at: e.at.toISOString(),
  };
  return p;
}

export type TimelineAudience = 'center' | 'partner' | 'resident';

const CASE_WIDE_FOR_UNITS = new Set(['case.closed', 'case.cancelled', 'case.merged', 'case.reopened']);

/**
 * Who sees a timeline entry: the center always; the unit named on it (or every unit of the case
 * for closing changes); the resident when the domain marked it resident-visible.
 */
export function visibilityOf(
  e: Pick<CaseDomainEvent, 'type' | 'unitId' | 'residentVisible'>,
): TimelineAudience[] {
  const v: TimelineAudience[] = ['center'];
  if (e.unitId || CASE_WIDE_FOR_UNITS.has(e.type)) v.push('partner');
  if (e.residentVisible) v.push('resident');
  return v;
}
