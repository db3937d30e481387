/**
 * The one state machine of a case and its tasks (闭环管理): every status change of a case or a
 * task goes through `transition`, which returns the next state and the lifecycle events to
 * publish, or throws a `DomainError`.
 *
 * Statuses:
 * - `reported`: awaiting a routing decision; first after intake, and again after the LEAD unit
 *   returned its task (退单) — the case is sent back to routing, which answers with `route`
 *   or `triage`. `routed` is never produced here (`route` creates the tasks at once, so the case
 *   goes straight to `assigned`); a stored `routed` case is treated exactly like `reported`.
 * - `triage`: routing could not decide; a person at the center must `assign`.
 * - `assigned` / `accepted` / `in_progress`: follow the current lead task (主办). Support tasks
 *   (协办) do not move the case status. When the lead has resolved but a support task is still
 *   open, the case is `in_progress` until the last support task resolves, returns or is released.
 * - `resolved`: awaiting the resident's confirmation or the center's verification.
 * - `closed`, `cancelled`, `merged`: final; only `reopen` is taken, and only from `closed`.
 *
 * Invariant: open tasks (assigned, accepted, in_progress) exist only while the case is
 * assigned / accepted / in_progress. A lead return therefore releases the open support tasks
 * (the re-routing decides lead and support again).
 */
import type { CaseStatus, TaskStatus } from '@app/contracts';
import {
  invalidCommand,
  invalidTaskStatus,
  invalidTransition,
  taskNotFound,
  unitExcluded,
} from './case-machine.errors';
import type {
  AcceptCommand,
  ActorKind,
  AssignCommand,
  CaseCommand,
  CaseCommandType,
  CaseDomainEvent,
  CaseState,
  CaseTask,
  ClosedHow,
  ConfirmCommand,
  GrantExtensionCommand,
  MergeCommand,
  ProgressCommand,
  ReleaseSupportCommand,
  RequestExtensionCommand,
  ResolveCommand,
  ReturnCommand,
  RouteCommand,
  TaskRef,
  TransitionResult,
  UnitAssignment,
  UnitRef,
} from './case-machine.types';
import { residentNotes } from './resident-notes';

export const FINAL_CASE_STATUSES: readonly CaseStatus[] = ['closed', 'cancelled', 'merged'];
export const OPEN_TASK_STATUSES: readonly TaskStatus[] = ['assigned', 'accepted', 'in_progress'];
const AWAITING_ROUTING: readonly CaseStatus[] = ['reported', 'routed'];
const WORKING: readonly CaseStatus[] = ['assigned', 'accepted', 'in_progress'];
/** Task statuses in which a unit may report progress, resolve or ask for more time. */
const STARTED: TaskStatus[] = ['accepted', 'in_progress'];

export const isFinalStatus = (status: CaseStatus): boolean => FINAL_CASE_STATUSES.includes(status);
export const isOpenTask = (task: CaseTask): boolean => OPEN_TASK_STATUSES.includes(task.status);
const isWorking = (s: CaseState): boolean => WORKING.includes(s.status);
const isAwaitingRouting = (s: CaseState): boolean => AWAITING_ROUTING.includes(s.status);
const hasTask = (s: CaseState, p: (t: CaseTask) => boolean): boolean => s.tasks.some(p);
const isStarted = (t: CaseTask): boolean => STARTED.includes(t.status);

/** A new case as intake reports it: awaiting routing. */
export function newCaseState(
  input: Pick<CaseState, 'caseId' | 'reference' | 'priority' | 'categoryCode'>,
): CaseState {
  return {
    caseId: input.caseId,
    reference: input.reference,
    status: 'reported',
    priority: input.priority,
    ...(input.categoryCode ? { categoryCode: input.categoryCode } : {}),
    tasks: [],
    returnedUnitIds: [],
    returnCount: 0,
    reopenCount: 0,
    supervisionFlagged: false,
  };
}

/** The lead task in charge now (open or resolved), if any: the last lead task created. */
export function currentLeadTask(state: CaseState): CaseTask | undefined {
  for (let i = state.tasks.length - 1; i >= 0; i--) {
    const t = state.tasks[i];
    if (t.role === 'lead') return isOpenTask(t) || t.status === 'resolved' ? t : undefined;
  }
  return undefined;
}

export function openTasks(state: CaseState): CaseTask[] {
  return state.tasks.filter(isOpenTask);
}

// ---------------------------------------------------------------- what is allowed

/** Whether a command can succeed in this state for some well-formed payload (key order = listing order). */
const GUARDS: Record<CaseCommandType, (s: CaseState) => boolean> = {
  route: isAwaitingRouting,
  triage: isAwaitingRouting,
  assign: (s) =>
    isAwaitingRouting(s) ||
    s.status === 'triage' ||
    (isWorking(s) && hasTask(s, (t) => t.role === 'lead' && isOpenTask(t))),
  accept: (s) => isWorking(s) && hasTask(s, (t) => t.status === 'assigned'),
  progress: (s) => isWorking(s) && hasTask(s, isStarted),
  return: (s) => isWorking(s) && hasTask(s, isOpenTask),
  request_extension: (s) => isWorking(s) && !s.pendingExtension && hasTask(s, isStarted),
  grant_extension: (s) => isWorking(s) && !!s.pendingExtension,
  refuse_extension: (s) => isWorking(s) && !!s.pendingExtension,
  request_info: (s) => (s.status === 'triage' || isWorking(s)) && !s.awaitingResidentSince,
  provide_info: (s) => !isFinalStatus(s.status),
  resolve: (s) => isWorking(s) && hasTask(s, isStarted),
  release_support: (s) => isWorking(s) && hasTask(s, (t) => t.role === 'support' && isOpenTask(t)),
  confirm: (s) => s.status === 'resolved',
  verify_close: (s) => s.status === 'resolved',
  auto_close: (s) => s.status === 'resolved',
  reopen: (s) => s.status === 'resolved' || s.status === 'closed',
  cancel: (s) => !isFinalStatus(s.status),
  merge: (s) => !isFinalStatus(s.status),
  flag_supervision: (s) => !isFinalStatus(s.status) && !s.supervisionFlagged,
};

/** Every command type, in a stable order. */
export const CASE_COMMAND_TYPES: readonly CaseCommandType[] = Object.keys(GUARDS) as CaseCommandType[];

/** The commands the case takes in this state (what a UI may offer; `details.allowed` of a refusal). */
export function allowedCommands(state: CaseState): CaseCommandType[] {
  return CASE_COMMAND_TYPES.filter((type) => GUARDS[type](state));
}

/** The commands that apply to one task now: the unit's (accept, progress, ...) and release_support. */
export function allowedTaskCommands(state: CaseState, taskId: string): CaseCommandType[] {
  const t = state.tasks.find((x) => x.taskId === taskId);
  if (!t || !isWorking(state) || !isOpenTask(t)) return [];
  const out: CaseCommandType[] = [];
  if (t.status === 'assigned') out.push('accept');
  if (isStarted(t)) out.push('progress');
  out.push('return');
  if (isStarted(t) && !state.pendingExtension) out.push('request_extension');
  if (isStarted(t)) out.push('resolve');
  if (t.role === 'support') out.push('release_support');
  return out;
}

// ---------------------------------------------------------------- transition

export function transition(state: CaseState, command: CaseCommand, now: Date): TransitionResult {
  const allowed = allowedCommands(state);
  if (!allowed.includes(command.type)) throw invalidTransition(state.status, command.type, allowed);
  switch (command.type) {
    case 'route':
      return route(state, command, now);
    case 'triage':
      return emit(
        {
          ...state,
          status: 'triage',
          priority: command.priority ?? state.priority,
          ...(command.categoryCode ? { categoryCode: command.categoryCode } : {}),
        },
        now,
        ['system', command.actorId],
        {
          type: 'case.triaged',
          reason: command.reason,
          ...(command.reasons?.length ? { note: command.reasons.join('; ') } : {}),
          residentVisible: true,
          residentNote: residentNotes.triaged(),
        },
      );
    case 'assign':
      return assign(state, command, now);
    case 'accept':
      return accept(state, command, now);
    case 'progress':
      return progress(state, command, now);
    case 'return':
      return returnTask(state, command, now);
    case 'request_extension':
      return requestExtension(state, command, now);
    case 'grant_extension':
      return grantExtension(state, command, now);
    case 'refuse_extension': {
      const p = state.pendingExtension!;
      const task = taskById(state, p.taskId);
      return emit(omit(state, 'pendingExtension'), now, ['staff', command.actorId], {
        type: 'case.extension-refused',
        ...taskFields(task),
        requestedDueAt: p.requestedDueAt,
        ...(command.reason ? { reason: command.reason } : {}),
      });
    }
    case 'request_info':
      required(command.type, 'question', command.question);
      return emit({ ...state, awaitingResidentSince: now }, now, ['staff', command.actorId], {
        type: 'case.info-requested',
        note: command.question,
        residentVisible: true,
        residentNote: residentNotes.infoRequested(command.question),
      });
    case 'provide_info':
      return emit(omit(state, 'awaitingResidentSince'), now, ['resident', command.actorId], {
        type: 'case.info-provided',
        note: command.text,
        ...(state.awaitingResidentSince ? { pausedSince: state.awaitingResidentSince } : {}),
        residentVisible: true,
        residentNote: residentNotes.infoReceived(),
      });
    case 'resolve':
      return resolve(state, command, now);
    case 'release_support':
      return releaseSupport(state, command, now);
    case 'confirm':
      return confirm(state, command, now);
    case 'verify_close':
      return close(state, now, 'center_verified', ['staff', command.actorId], {
        ...(command.note ? { note: command.note } : {}),
      });
    case 'auto_close':
      return close(state, now, 'auto_closed', ['system', command.actorId], {});
    case 'reopen': {
      required(command.type, 'reason', command.reason);
      const unit = command.unit ?? currentLeadTask(state)!;
      return reopen(state, command.type, unit, command.taskId, now, ['staff', command.actorId], {
        reason: command.reason,
      });
    }
    case 'cancel':
      required(command.type, 'reason', command.reason);
      return endCase(state, 'cancelled', now, ['staff', command.actorId], {
        type: 'case.cancelled',
        reason: command.reason,
        residentVisible: true,
        residentNote: residentNotes.cancelled(),
      });
    case 'merge':
      return merge(state, command, now);
    case 'flag_supervision':
      return emit(
        { ...state, supervisionFlagged: true },
        now,
        [command.source === 'escalation' ? 'system' : 'staff', command.actorId],
        { type: 'case.supervision-flagged', ...(command.reason ? { reason: command.reason } : {}) },
      );
  }
}

// ---------------------------------------------------------------- routing and assignment

function route(s: CaseState, c: RouteCommand, now: Date): TransitionResult {
  checkAssignments(s, c.type, c.lead, c.support);
  const excluded = [c.lead, ...c.support].map((u) => u.unitId).filter((id) => s.returnedUnitIds.includes(id));
  if (excluded.length) throw unitExcluded(excluded);
  return dispatch(s, c, c.support, now, ['system', c.actorId]);
}

function assign(s: CaseState, c: AssignCommand, now: Date): TransitionResult {
  const support = c.support ?? [];
  checkAssignments(s, c.type, c.lead, support);
  const previous = isWorking(s) ? currentLeadTask(s) : undefined;
  if (previous && previous.unitId === c.lead.unitId) {
    throw invalidCommand(c.type, 'lead.unitId', `${c.lead.unitId} is already the lead unit`);
  }
  return dispatch(s, c, support, now, ['staff', c.actorId]);
}

/**
 * Creates the lead task (and support tasks for units without an open task), releasing the open
 * lead task it replaces and any open support task of the new lead unit.
 */
function dispatch(
  s: CaseState,
  c: RouteCommand | AssignCommand,
  support: UnitAssignment[],
  now: Date,
  actor: Actor,
): TransitionResult {
  const previous = isWorking(s) ? currentLeadTask(s) : undefined;
  const toEnd = s.tasks.filter(
    (t) => isOpenTask(t) && (t === previous || (t.role === 'support' && t.unitId === c.lead.unitId)),
  );
  let next = endTasks(s, toEnd, 'released', now);
  const lead = newTask(c.lead, 'lead', now);
  const supports = support
    .filter((u) => !next.tasks.some((t) => isOpenTask(t) && t.unitId === u.unitId))
    .map((u) => newTask(u, 'support', now));
  next = {
    ...next,
    status: 'assigned',
    priority: c.priority ?? s.priority,
    ...(c.categoryCode ? { categoryCode: c.categoryCode } : {}),
    tasks: [...next.tasks, lead, ...supports],
  };
  const events = [
    event(next, now, actor, {
      type: 'case.assigned',
      ...taskFields(lead),
      ...(previous ? { previousTaskId: previous.taskId, previousUnitId: previous.unitId } : {}),
      ...(toEnd.length ? { endedTasks: refs(next, toEnd) } : {}),
      ...(c.type === 'assign' && c.reason ? { reason: c.reason } : {}),
      residentVisible: true,
      residentNote: residentNotes.assigned(lead),
    }),
    ...supports.map((t) => event(next, now, actor, { type: 'case.assigned', ...taskFields(t) })),
  ];
  return { state: next, events };
}

function checkAssignments(
  s: CaseState,
  type: CaseCommandType,
  lead: UnitAssignment,
  support: UnitAssignment[],
): void {
  const all = [lead, ...support];
  const taskIds = new Set<string>();
  for (const u of all) {
    required(type, 'taskId', u.taskId);
    required(type, 'unitId', u.unitId);
    if (taskIds.has(u.taskId) || s.tasks.some((t) => t.taskId === u.taskId)) {
      throw invalidCommand(type, 'taskId', `${u.taskId} is already used`);
    }
    taskIds.add(u.taskId);
  }
  const unitIds = new Set<string>();
  for (const u of all) {
    if (unitIds.has(u.unitId)) throw invalidCommand(type, 'support', `lists unit ${u.unitId} more than once`);
    unitIds.add(u.unitId);
  }
}

// ---------------------------------------------------------------- the unit's work

function accept(s: CaseState, c: AcceptCommand, now: Date): TransitionResult {
  const task = ownOpenTask(s, c.taskId, c.unitId);
  if (task.status !== 'assigned') throw invalidTaskStatus(task.taskId, task.status, c.type, ['assigned']);
  const next = settle(patchTask(s, task.taskId, { status: 'accepted', acceptedAt: now }));
  const t = taskById(next, task.taskId);
  return emit(next, now, unitActor(c), {
    type: 'case.accepted',
    ...taskFields(t),
    ...(t.role === 'lead' ? { residentVisible: true, residentNote: residentNotes.accepted(t) } : {}),
  });
}

function progress(s: CaseState, c: ProgressCommand, now: Date): TransitionResult {
  const task = startedTask(s, c);
  required(c.type, 'note', c.note);
  const next = settle(patchTask(s, task.taskId, { status: 'in_progress' }));
  const t = taskById(next, task.taskId);
  return emit(next, now, unitActor(c), {
    type: 'case.progress',
    ...taskFields(t),
    note: c.note,
    ...(t.role === 'lead' ? { residentVisible: true, residentNote: residentNotes.progress(t) } : {}),
  });
}

function returnTask(s: CaseState, c: ReturnCommand, now: Date): TransitionResult {
  const task = ownOpenTask(s, c.taskId, c.unitId);
  required(c.type, 'reason', c.reason);
  let next = endTasks(s, [task], 'returned', now, { returnedReason: c.reason });
  next = {
    ...next,
    returnedUnitIds: next.returnedUnitIds.includes(task.unitId)
      ? next.returnedUnitIds
      : [...next.returnedUnitIds, task.unitId],
    returnCount: next.returnCount + 1,
  };
  const actor = unitActor(c);
  if (task.role === 'lead') {
    const supports = openTasks(next);
    next = { ...endTasks(next, supports, 'released', now), status: 'reported' };
    return emit(next, now, actor, {
      type: 'case.returned',
      ...taskFields(taskById(next, task.taskId)),
      reason: c.reason,
      awaitingReroute: true,
      excludedUnitIds: next.returnedUnitIds,
      returnCount: next.returnCount,
      ...(supports.length ? { endedTasks: refs(next, supports) } : {}),
      residentVisible: true,
      residentNote: residentNotes.rerouting(),
    });
  }
  return settleWith(next, now, actor, {
    type: 'case.returned',
    ...taskFields(taskById(next, task.taskId)),
    reason: c.reason,
    awaitingReroute: false,
    excludedUnitIds: next.returnedUnitIds,
    returnCount: next.returnCount,
  });
}

function requestExtension(s: CaseState, c: RequestExtensionCommand, now: Date): TransitionResult {
  const task = startedTask(s, c);
  required(c.type, 'reason', c.reason);
  if (!(c.requestedDueAt.getTime() > now.getTime())) {
    throw invalidCommand(c.type, 'requestedDueAt', 'must be later than now');
  }
  return emit(
    {
      ...s,
      pendingExtension: {
        taskId: task.taskId,
        unitId: task.unitId,
        requestedDueAt: c.requestedDueAt,
        reason: c.reason,
        requestedAt: now,
      },
    },
    now,
    unitActor(c),
    {
      type: 'case.extension-requested',
      ...taskFields(task),
      reason: c.reason,
      requestedDueAt: c.requestedDueAt,
    },
  );
}

function grantExtension(s: CaseState, c: GrantExtensionCommand, now: Date): TransitionResult {
  const p = s.pendingExtension!;
  const task = taskById(s, p.taskId);
  const dueAt = c.dueAt ?? p.requestedDueAt;
  if (!(dueAt.getTime() > now.getTime())) throw invalidCommand(c.type, 'dueAt', 'must be later than now');
  return emit(omit(s, 'pendingExtension'), now, ['staff', c.actorId], {
    type: 'case.extension-granted',
    ...taskFields(task),
    dueAt,
    requestedDueAt: p.requestedDueAt,
    reason: p.reason,
    ...(c.note ? { note: c.note } : {}),
    ...(task.role === 'lead' ? { residentVisible: true, residentNote: residentNotes.extended() } : {}),
  });
}

function resolve(s: CaseState, c: ResolveCommand, now: Date): TransitionResult {
  const task = startedTask(s, c);
  required(c.type, 'note', c.note);
  const evidence = c.evidence ?? [];
  let next = endTasks(s, [task], 'resolved', now, { resolvedAt: now, resolutionNote: c.note });
  if (task.role === 'lead') {
    next = {
      ...next,
      resolution: { taskId: task.taskId, unitId: task.unitId, note: c.note, evidence, resolvedAt: now },
    };
    next = settle(next);
    if (next.status === 'resolved') return { state: next, events: [resolvedEvent(next, now, unitActor(c))] };
    const t = taskById(next, task.taskId);
    return emit(next, now, unitActor(c), {
      type: 'case.progress',
      ...taskFields(t),
      note: c.note,
      evidence,
      residentVisible: true,
      residentNote: residentNotes.leadDoneSupportPending(t),
    });
  }
  return settleWith(next, now, unitActor(c), {
    type: 'case.progress',
    ...taskFields(taskById(next, task.taskId)),
    note: c.note,
    evidence,
  });
}

function releaseSupport(s: CaseState, c: ReleaseSupportCommand, now: Date): TransitionResult {
  const task = s.tasks.find((t) => t.taskId === c.taskId);
  if (!task || task.role !== 'support' || !isOpenTask(task)) throw taskNotFound(c.taskId);
  const next = endTasks(s, [task], 'released', now);
  return settleWith(next, now, ['staff', c.actorId], {
    type: 'case.progress',
    ...taskFields(taskById(next, task.taskId)),
    endedTasks: refs(next, [task]),
    ...(c.reason ? { reason: c.reason } : {}),
  });
}

// ---------------------------------------------------------------- closing the loop

function confirm(s: CaseState, c: ConfirmCommand, now: Date): TransitionResult {
  const actor: Actor = ['resident', c.actorId];
  const feedback = { satisfaction: c.satisfaction, ...(c.comment ? { comment: c.comment } : {}) };
  if (c.satisfaction !== 'unsatisfied') {
    return close({ ...s, satisfaction: c.satisfaction }, now, 'resident_confirmed', actor, feedback);
  }
  if (!c.reopenTaskId)
    throw invalidCommand(c.type, 'reopenTaskId', 'is required when the resident is unsatisfied');
  return reopen(
    { ...s, satisfaction: c.satisfaction },
    c.type,
    currentLeadTask(s)!,
    c.reopenTaskId,
    now,
    actor,
    feedback,
  );
}

function close(
  s: CaseState,
  now: Date,
  closedHow: ClosedHow,
  actor: Actor,
  extra: Partial<CaseDomainEvent>,
): TransitionResult {
  const next: CaseState = { ...omit(s, 'awaitingResidentSince'), status: 'closed', closedHow, closedAt: now };
  return emit(next, now, actor, {
    type: 'case.closed',
    closedHow,
    ...extra,
    residentVisible: true,
    residentNote: residentNotes.closed(),
  });
}

/** 重办: a new lead task for `unit`; the case starts over from `assigned`. */
function reopen(
  s: CaseState,
  type: CaseCommandType,
  unit: UnitRef,
  taskId: string,
  now: Date,
  actor: Actor,
  extra: Partial<CaseDomainEvent>,
): TransitionResult {
  required(type, 'taskId', taskId);
  if (s.tasks.some((t) => t.taskId === taskId))
    throw invalidCommand(type, 'taskId', `${taskId} is already used`);
  const previous = currentLeadTask(s);
  const task = newTask(
    {
      taskId,
      unitId: unit.unitId,
      unitType: unit.unitType,
      ...(unit.unitName ? { unitName: unit.unitName } : {}),
    },
    'lead',
    now,
  );
  const next: CaseState = {
    ...omit(s, 'resolution', 'closedHow', 'closedAt', 'awaitingResidentSince'),
    status: 'assigned',
    tasks: [...s.tasks, task],
    reopenCount: s.reopenCount + 1,
  };
  return emit(next, now, actor, {
    type: 'case.reopened',
    ...taskFields(task),
    ...(previous ? { previousTaskId: previous.taskId, previousUnitId: previous.unitId } : {}),
    reopenCount: next.reopenCount,
    ...extra,
    residentVisible: true,
    residentNote: residentNotes.reopened(task),
  });
}

function merge(s: CaseState, c: MergeCommand, now: Date): TransitionResult {
  required(c.type, 'intoCaseId', c.intoCaseId);
  if (c.intoCaseId === s.caseId) throw invalidCommand(c.type, 'intoCaseId', 'is this case itself');
  return endCase({ ...s, mergedInto: c.intoCaseId }, 'merged', now, ['staff', c.actorId], {
    type: 'case.merged',
    mergedInto: c.intoCaseId,
    ...(c.intoReference ? { mergedIntoReference: c.intoReference } : {}),
    ...(c.reason ? { reason: c.reason } : {}),
    residentVisible: true,
    residentNote: residentNotes.merged(c.intoReference),
  });
}

/** Cancel or merge: open tasks are cancelled, nothing is pending any more. */
function endCase(
  s: CaseState,
  status: 'cancelled' | 'merged',
  now: Date,
  actor: Actor,
  extra: Partial<CaseDomainEvent> & Pick<CaseDomainEvent, 'type'>,
): TransitionResult {
  const ended = openTasks(s);
  const next: CaseState = {
    ...omit(endTasks(s, ended, 'cancelled', now), 'pendingExtension', 'awaitingResidentSince'),
    status,
  };
  return emit(next, now, actor, { ...extra, ...(ended.length ? { endedTasks: refs(next, ended) } : {}) });
}

// ---------------------------------------------------------------- case status from the tasks

/**
 * In a working status, the case follows the current lead task; a resolved lead makes the case
 * `resolved` once no support task is open (`in_progress` until then).
 */
function settle(s: CaseState): CaseState {
  const lead = currentLeadTask(s);
  if (!lead) return s;
  switch (lead.status) {
    case 'assigned':
    case 'accepted':
    case 'in_progress':
      return { ...s, status: lead.status };
    case 'resolved':
      if (hasTask(s, (t) => t.role === 'support' && isOpenTask(t))) return { ...s, status: 'in_progress' };
      return { ...omit(s, 'awaitingResidentSince', 'pendingExtension'), status: 'resolved' };
    default:
      return s;
  }
}

/** Settles after a support task ended; adds case.resolved when that completed the case. */
function settleWith(
  s: CaseState,
  now: Date,
  actor: Actor,
  first: Partial<CaseDomainEvent> & Pick<CaseDomainEvent, 'type'>,
): TransitionResult {
  const next = settle(s);
  const events = [event(next, now, actor, first)];
  if (next.status === 'resolved' && s.status !== 'resolved') events.push(resolvedEvent(next, now, actor));
  return { state: next, events };
}

function resolvedEvent(s: CaseState, now: Date, actor: Actor): CaseDomainEvent {
  const lead = currentLeadTask(s)!;
  return event(s, now, actor, {
    type: 'case.resolved',
    ...taskFields(lead),
    ...(s.resolution ? { note: s.resolution.note, evidence: s.resolution.evidence } : {}),
    residentVisible: true,
    residentNote: residentNotes.resolved(lead),
  });
}

// ---------------------------------------------------------------- tasks

function newTask(u: UnitAssignment, role: CaseTask['role'], now: Date): CaseTask {
  return {
    taskId: u.taskId,
    unitId: u.unitId,
    unitType: u.unitType,
    ...(u.unitName ? { unitName: u.unitName } : {}),
    role,
    status: 'assigned',
    assignedAt: now,
  };
}

function patchTask(s: CaseState, taskId: string, patch: Partial<CaseTask>): CaseState {
  return { ...s, tasks: s.tasks.map((t) => (t.taskId === taskId ? { ...t, ...patch } : t)) };
}

/** Ends tasks (status + endedAt); drops a pending extension that belonged to one of them. */
function endTasks(
  s: CaseState,
  tasks: CaseTask[],
  status: TaskStatus,
  now: Date,
  patch: Partial<CaseTask> = {},
): CaseState {
  if (!tasks.length) return s;
  const ids = new Set(tasks.map((t) => t.taskId));
  const next: CaseState = {
    ...s,
    tasks: s.tasks.map((t) => (ids.has(t.taskId) ? { ...t, ...patch, status, endedAt: now } : t)),
  };
  return s.pendingExtension && ids.has(s.pendingExtension.taskId) ? omit(next, 'pendingExtension') : next;
}

function taskById(s: CaseState, taskId: string): CaseTask {
  const t = s.tasks.find((x) => x.taskId === taskId);
  if (!t) throw taskNotFound(taskId);
  return t;
}

/** The acting unit's own open task, or 404. */
function ownOpenTask(s: CaseState, taskId: string, unitId: string): CaseTask {
  const t = s.tasks.find((x) => x.taskId === taskId);
  if (!t || t.unitId !== unitId || !isOpenTask(t)) throw taskNotFound(taskId, unitId);
  return t;
}

function startedTask(s: CaseState, c: { type: CaseCommandType; taskId: string; unitId: string }): CaseTask {
  const t = ownOpenTask(s, c.taskId, c.unitId);
  if (!isStarted(t)) throw invalidTaskStatus(t.taskId, t.status, c.type, STARTED);
  return t;
}

function refs(s: CaseState, tasks: CaseTask[]): TaskRef[] {
  return tasks.map((t) => {
    const now = taskById(s, t.taskId);
    return { taskId: now.taskId, unitId: now.unitId, role: now.role, status: now.status };
  });
}

// ---------------------------------------------------------------- events

type Actor = [kind: ActorKind, id: string | undefined];

const unitActor = (c: { actorId?: string; unitId: string }): Actor => ['unit', c.actorId ?? c.unitId];

function taskFields(t: CaseTask): Partial<CaseDomainEvent> {
  return {
    taskId: t.taskId,
    taskRole: t.role,
    taskStatus: t.status,
    unitId: t.unitId,
    unitType: t.unitType,
    ...(t.unitName ? { unitName: t.unitName } : {}),
  };
}

function event(
  s: CaseState,
  now: Date,
  [actorKind, actorId]: Actor,
  fields: Partial<CaseDomainEvent> & Pick<CaseDomainEvent, 'type'>,
): CaseDomainEvent {
  return {
    caseId: s.caseId,
    reference: s.reference,
    status: s.status,
    priority: s.priority,
    ...(s.categoryCode ? { categoryCode: s.categoryCode } : {}),
    at: now,
    actorKind,
    ...(actorId ? { actorId } : {}),
    residentVisible: false,
    ...fields,
  };
}

function emit(
  s: CaseState,
  now: Date,
  actor: Actor,
  fields: Partial<CaseDomainEvent> & Pick<CaseDomainEvent, 'type'>,
): TransitionResult {
  return { state: s, events: [event(s, now, actor, fields)] };
}

// ---------------------------------------------------------------- small helpers

function required(type: CaseCommandType, field: string, value: string | undefined): void {
  if (typeof value !== 'string' || value.trim() === '') throw invalidCommand(type, field, 'is required');
}

type OptionalKey = { [K in keyof CaseState]-?: undefined extends CaseState[K] ? K : never }[keyof CaseState];

/** A copy without the given optional fields (absent, not `undefined`, so stored JSON stays clean). */
function omit(s: CaseState, ...keys: OptionalKey[]): CaseState {
  const copy = { ...s };
  for (const k of keys) delete copy[k];
  return copy;
}
