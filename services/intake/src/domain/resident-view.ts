import type { CaseStatus } from '@app/contracts';

/** What the resident's tracking view keeps of a case; updated by case.lifecycle events. */
export interface ResidentView {
  status: CaseStatus;
  unitName?: string | null;
  expectedAt?: string | null;
  routedCategoryCode?: string | null;
  infoRequested: boolean;
  mergedIntoReference?: string | null;
  lastResidentNote?: string | null;
}

export interface LifecycleChange {
  type: string;
  status: CaseStatus;
  unitName?: string;
  taskRole?: 'lead' | 'support';
  categoryCode?: string;
  resolveBy?: string;
  residentVisible: boolean;
  residentNote?: string;
  mergedIntoReference?: string;
  at: string;
}

export interface TimelineEntry {
  type: string;
  status: CaseStatus;
  note?: string;
  at: string;
}

/** Default wording for resident-visible entries that come without a note (zh-CN first, as residents read it). */
const DEFAULT_NOTES: Partial<Record<string, string>> = {
  'case.reported': '您的反映已收到 / We received your report',
  'case.assigned': '已分派给责任单位 / Assigned to the responsible unit',
  'case.accepted': '责任单位已签收 / The unit has accepted the task',
  'case.progress': '处置中 / Work in progress',
  'case.info-requested': '需要您补充信息 / Please add information',
  'case.resolved': '已办结，请确认并评价 / Resolved: please confirm and rate',
  'case.closed': '已销号 / Closed',
  'case.reopened': '已重新办理 / Reopened',
  'case.cancelled': '已撤销 / Cancelled',
  'case.merged': '已与同一问题合并办理 / Merged with a report of the same problem',
};

/**
 * What one lifecycle change writes into the resident's view: the status always, every other field
 * only when the change carries it (absent = the view keeps its value), and the timeline entry the
 * resident sees, if any. It does not depend on the current view, so the read model can apply it
 * without reading the row first.
 */
export interface ResidentViewPatch {
  status: CaseStatus;
  unitName?: string;
  expectedAt?: string;
  routedCategoryCode?: string;
  infoRequested?: boolean;
  mergedIntoReference?: string;
  lastResidentNote?: string;
}

export function lifecyclePatch(change: LifecycleChange): { patch: ResidentViewPatch; entry?: TimelineEntry } {
  const patch: ResidentViewPatch = { status: change.status };
  // Only the lead unit is "the unit responsible" in the resident's eyes.
  if (change.unitName && change.taskRole !== 'support') patch.unitName = change.unitName;
  if (change.resolveBy) patch.expectedAt = change.resolveBy;
  if (change.categoryCode) patch.routedCategoryCode = change.categoryCode;
  if (change.type === 'case.info-requested') patch.infoRequested = true;
  if (change.type === 'case.info-provided' || change.status === 'closed' || change.status === 'cancelled')
    patch.infoRequested = false;
  if (change.type === 'case.merged' && change.mergedIntoReference)
    patch.mergedIntoReference = change.mergedIntoReference;
  if (!change.residentVisible) return { patch };
  const note = change.residentNote?.trim() || DEFAULT_NOTES[change.type];
  if (note) patch.lastResidentNote = note;
  return { patch, entry: { type: change.type, status: change.status, note, at: change.at } };
}

/** Applies one lifecycle change: the new view and the timeline entry the resident sees, if any. */
export function applyLifecycle(
  view: ResidentView,
  change: LifecycleChange,
): { view: ResidentView; entry?: TimelineEntry } {
  const { patch, entry } = lifecyclePatch(change);
  // The patch holds only the fields the change sets.
  const next: ResidentView = { ...view, ...patch };
  return entry ? { view: next, entry } : { view: next };
}

/** The changes of one case folded in their order: the patch they make together, each one's entry. */
export interface FoldedLifecycle {
  caseId: string;
  patch: ResidentViewPatch;
  entries: (TimelineEntry & { eventId: string })[];
}

/**
 * Folds a run of lifecycle changes (a consumer's chunk, in partition order) into one patch per
 * case, so the view is written once per case: a later change's fields replace an earlier one's,
 * fields a change does not set are kept, exactly as applying them one after the other. Cases
 * come in the order of their first change; entries keep theirs.
 */
export function foldLifecycle(
  changes: { caseId: string; eventId: string; change: LifecycleChange }[],
): FoldedLifecycle[] {
  const byCase = new Map<string, FoldedLifecycle>();
  for (const { caseId, eventId, change } of changes) {
    const { patch, entry } = lifecyclePatch(change);
    const folded = byCase.get(caseId);
    const entries = entry ? [{ ...entry, eventId }] : [];
    if (folded) {
      folded.patch = { ...folded.patch, ...patch };
      folded.entries.push(...entries);
    } else byCase.set(caseId, { caseId, patch, entries });
  }
  return [...byCase.values()];
}

export const RECEIVED_NOTE = DEFAULT_NOTES['case.reported'] as string;
