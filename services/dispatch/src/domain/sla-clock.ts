/**
 * The SLA clock of one task: an accept deadline and a resolve deadline, both counted in the
 * policy's calendar from assignment, with warnings, breaches and escalation steps.
 *
 * `SlaState` is a plain value; every function returns a new one. The policy is kept in the state
 * as it was at assignment, so editing a policy later does not move running clocks.
 *
 * What the dispatch service does with it:
 * - assignment → `startSla`; reassignment of the lead → `reassignSla` (fresh accept clock);
 *   reopen → `reopenSla` (fresh accept and resolve clocks);
 * - accepted → `markAccepted`; resolved / returned / released / cancelled → `markResolved`
 *   (nothing fires afterwards);
 * - info requested from the resident → `pauseSla`; info provided → `resumeSla` (unsatisfied
 *   deadlines move later by the business time spent waiting);
 * - extension granted → `grantExtension`;
 * - `dueTimers` lists what must still fire and when; once a timer fired, `recordFired`.
 */
import { DomainError, type EscalationAction, type SlaDeadlineKind, type SlaPolicyDto } from '@app/contracts';
import { addBusinessMs, addBusinessSeconds, assertValidCalendar, businessMsBetween } from './sla-calendar';

export type SlaPolicy = SlaPolicyDto;

export const SLA_INVALID_DEADLINE = 'SLA.INVALID_DEADLINE';

export interface SlaDeadlines {
  acceptBy: Date;
  acceptWarnAt: Date;
  resolveBy: Date;
  resolveWarnAt: Date;
}

export interface SlaDeadlineState {
  deadline: SlaDeadlineKind;
  /** When this deadline's clock last (re)started: assignment, reassignment, reopen, extension. */
  startedAt: Date;
  dueAt: Date;
  warnAt: Date;
  /** Accepted (accept) or resolved (resolve): nothing fires for this deadline afterwards. */
  satisfiedAt?: Date;
  warnedAt?: Date;
  breachedAt?: Date;
  /** Indexes into `policy.escalation` of the steps that fired. */
  escalatedSteps: number[];
}

export interface SlaState {
  policy: SlaPolicy;
  accept: SlaDeadlineState;
  resolve: SlaDeadlineState;
  /** Business seconds spent paused (awaiting the resident), finished pauses only. */
  pausedSeconds: number;
  pausedSince?: Date;
}

export type SlaTimerKind = 'warning' | 'breach' | 'escalation';

export interface SlaTimer {
  kind: SlaTimerKind;
  deadline: SlaDeadlineKind;
  /** Escalation only: index into `policy.escalation`. */
  step?: number;
  action?: EscalationAction;
  dueAt: Date;
}

export type SlaDeadlineStanding = 'running' | 'warning' | 'overdue' | 'met' | 'met_late';

export interface SlaDeadlineView {
  deadline: SlaDeadlineKind;
  dueAt: Date;
  warnAt: Date;
  standing: SlaDeadlineStanding;
  /** Business seconds left (running / warning), rounded up. */
  remainingSeconds?: number;
  /** Business seconds past the deadline (overdue), rounded down. */
  overdueSeconds?: number;
  /** met_late: business seconds it was late by. */
  lateBySeconds?: number;
  satisfiedAt?: Date;
  warnedAt?: Date;
  breachedAt?: Date;
  escalatedSteps: number[];
}

export interface SlaView {
  policyId: string;
  calendarKind: SlaPolicy['calendar']['kind'];
  paused: boolean;
  pausedSince?: Date;
  /** Business seconds paused so far, the running pause included. */
  pausedSeconds: number;
  accept: SlaDeadlineView;
  resolve: SlaDeadlineView;
  /** The next timer to fire, if any (none while paused). */
  next?: SlaTimer;
}

const DEADLINES: readonly SlaDeadlineKind[] = ['accept', 'resolve'];
const TIMER_ORDER: Record<SlaTimerKind, number> = { warning: 0, breach: 1, escalation: 2 };

function budgetOf(policy: SlaPolicy, deadline: SlaDeadlineKind): number {
  return deadline === 'accept' ? policy.acceptWithinSeconds : policy.resolveWithinSeconds;
}

/** A deadline whose business duration `budgetMs` starts at `start`; warns at `warnAtFraction` of it. */
function freshDeadline(
  deadline: SlaDeadlineKind,
  start: Date,
  budgetMs: number,
  policy: SlaPolicy,
  dueAt?: Date,
): SlaDeadlineState {
  return {
    deadline,
    startedAt: start,
    dueAt: dueAt ?? addBusinessMs(start, budgetMs, policy.calendar),
    warnAt: addBusinessMs(start, Math.round(budgetMs * policy.warnAtFraction), policy.calendar),
    escalatedSteps: [],
  };
}

function policyDeadline(deadline: SlaDeadlineKind, start: Date, policy: SlaPolicy): SlaDeadlineState {
  return freshDeadline(deadline, start, budgetOf(policy, deadline) * 1000, policy);
}

/** The four instants of a task assigned at `assignedAt` (both clocks run from assignment). */
export function computeDeadlines(assignedAt: Date, policy: SlaPolicy): SlaDeadlines {
  const s = startSla(assignedAt, policy);
  return {
    acceptBy: s.accept.dueAt,
    acceptWarnAt: s.accept.warnAt,
    resolveBy: s.resolve.dueAt,
    resolveWarnAt: s.resolve.warnAt,
  };
}

export function startSla(assignedAt: Date, policy: SlaPolicy): SlaState {
  assertValidCalendar(policy.calendar);
  return {
    policy,
    accept: policyDeadline('accept', assignedAt, policy),
    resolve: policyDeadline('resolve', assignedAt, policy),
    pausedSeconds: 0,
  };
}

/** Stops the clock (awaiting the resident). Already paused: unchanged. */
export function pauseSla(state: SlaState, now: Date): SlaState {
  if (state.pausedSince) return state;
  return { ...state, pausedSince: now };
}

/**
 * Restarts the clock: every unsatisfied deadline (and its warning) moves later by the business
 * time paused since the later of the pause and that deadline's own start. Fired flags stay.
 */
export function resumeSla(state: SlaState, now: Date): SlaState {
  const since = state.pausedSince;
  if (!since) return state;
  const cal = state.policy.calendar;
  const shift = (d: SlaDeadlineState): SlaDeadlineState => {
    if (d.satisfiedAt) return d;
    const from = d.startedAt > since ? d.startedAt : since;
    const ms = Math.max(0, businessMsBetween(from, now, cal));
    if (ms === 0) return d;
    return { ...d, dueAt: addBusinessMs(d.dueAt, ms, cal), warnAt: addBusinessMs(d.warnAt, ms, cal) };
  };
  const paused = Math.max(0, businessMsBetween(since, now, cal)) / 1000;
  const { pausedSince: _ended, ...rest } = state;
  return {
    ...rest,
    accept: shift(state.accept),
    resolve: shift(state.resolve),
    pausedSeconds: state.pausedSeconds + paused,
  };
}

/**
 * Extension granted: the resolve deadline becomes `resolveBy`; the warning is recomputed at
 * `warnAtFraction` of the business time from the grant to the new deadline; warn, breach and
 * escalation start over. (Granted while paused, the new deadline also moves on resume.)
 */
export function grantExtension(state: SlaState, resolveBy: Date, now: Date): SlaState {
  if (!(resolveBy.getTime() > now.getTime())) {
    throw new DomainError(
      SLA_INVALID_DEADLINE,
      'The extended deadline must be later than now',
      { resolveBy: resolveBy.toISOString(), now: now.toISOString() },
      400,
    );
  }
  const budgetMs = businessMsBetween(now, resolveBy, state.policy.calendar);
  return { ...state, resolve: freshDeadline('resolve', now, budgetMs, state.policy, resolveBy) };
}

/** The lead task went to another unit: a fresh accept clock from now; the resolve clock runs on. */
export function reassignSla(state: SlaState, now: Date): SlaState {
  return { ...state, accept: policyDeadline('accept', now, state.policy) };
}

/**
 * The case was reopened (重办): the new task gets fresh accept and resolve clocks from now
 * (it must be signed for again). Pause bookkeeping is kept.
 */
export function reopenSla(state: SlaState, now: Date): SlaState {
  return {
    ...state,
    accept: policyDeadline('accept', now, state.policy),
    resolve: policyDeadline('resolve', now, state.policy),
  };
}

/** The unit signed for the task: no accept warning, breach or escalation afterwards. */
export function markAccepted(state: SlaState, now: Date): SlaState {
  if (state.accept.satisfiedAt) return state;
  return { ...state, accept: { ...state.accept, satisfiedAt: now } };
}

/** The task is done (or ended): both deadlines are satisfied, nothing fires any more. */
export function markResolved(state: SlaState, now: Date): SlaState {
  const accepted = markAccepted(state, now);
  if (accepted.resolve.satisfiedAt) return accepted;
  return { ...accepted, resolve: { ...accepted.resolve, satisfiedAt: now } };
}

/** Records that a timer fired, so `dueTimers` moves on to the next one. */
export function recordFired(state: SlaState, timer: SlaTimer, now: Date): SlaState {
  const d = state[timer.deadline];
  let next: SlaDeadlineState;
  switch (timer.kind) {
    case 'warning':
      next = d.warnedAt ? d : { ...d, warnedAt: now };
      break;
    case 'breach':
      next = d.breachedAt ? d : { ...d, breachedAt: now };
      break;
    case 'escalation': {
      const step = timer.step;
      if (step === undefined || d.escalatedSteps.includes(step)) return state;
      next = { ...d, escalatedSteps: [...d.escalatedSteps, step].sort((a, b) => a - b) };
      break;
    }
  }
  return next === d ? state : { ...state, [timer.deadline]: next };
}

function timersOf(state: SlaState, d: SlaDeadlineState): SlaTimer[] {
  if (d.satisfiedAt) return [];
  const timers: SlaTimer[] = [];
  if (!d.warnedAt && !d.breachedAt && d.warnAt < d.dueAt) {
    timers.push({ kind: 'warning', deadline: d.deadline, dueAt: d.warnAt });
  }
  if (!d.breachedAt) timers.push({ kind: 'breach', deadline: d.deadline, dueAt: d.dueAt });
  state.policy.escalation.forEach((step, index) => {
    if (step.on !== d.deadline || d.escalatedSteps.includes(index)) return;
    timers.push({
      kind: 'escalation',
      deadline: d.deadline,
      step: index,
      action: step.action,
      dueAt: addBusinessSeconds(d.dueAt, step.afterSeconds, state.policy.calendar),
    });
  });
  return timers;
}

/**
 * Everything that must still fire, earliest first (ties: warning, breach, escalation; then
 * accept before resolve). Nothing while paused; a timer whose instant has passed is still
 * listed until `recordFired`.
 */
export function dueTimers(state: SlaState): SlaTimer[] {
  if (state.pausedSince) return [];
  return DEADLINES.flatMap((k) => timersOf(state, state[k])).sort(
    (a, b) =>
      a.dueAt.getTime() - b.dueAt.getTime() ||
      TIMER_ORDER[a.kind] - TIMER_ORDER[b.kind] ||
      DEADLINES.indexOf(a.deadline) - DEADLINES.indexOf(b.deadline) ||
      (a.step ?? 0) - (b.step ?? 0),
  );
}

function deadlineView(state: SlaState, d: SlaDeadlineState, at: Date): SlaDeadlineView {
  const cal = state.policy.calendar;
  const base: SlaDeadlineView = {
    deadline: d.deadline,
    dueAt: d.dueAt,
    warnAt: d.warnAt,
    standing: 'running',
    escalatedSteps: d.escalatedSteps,
    ...(d.satisfiedAt ? { satisfiedAt: d.satisfiedAt } : {}),
    ...(d.warnedAt ? { warnedAt: d.warnedAt } : {}),
    ...(d.breachedAt ? { breachedAt: d.breachedAt } : {}),
  };
  if (d.satisfiedAt) {
    if (d.satisfiedAt <= d.dueAt) return { ...base, standing: 'met' };
    return {
      ...base,
      standing: 'met_late',
      lateBySeconds: Math.floor(businessMsBetween(d.dueAt, d.satisfiedAt, cal) / 1000),
    };
  }
  if (at >= d.dueAt) {
    return {
      ...base,
      standing: 'overdue',
      overdueSeconds: Math.floor(businessMsBetween(d.dueAt, at, cal) / 1000),
    };
  }
  return {
    ...base,
    standing: at >= d.warnAt ? 'warning' : 'running',
    remainingSeconds: Math.ceil(businessMsBetween(at, d.dueAt, cal) / 1000),
  };
}

/** The SLA as the case view shows it at `now` (while paused, as it stood when the pause began). */
export function slaView(state: SlaState, now: Date): SlaView {
  const at = state.pausedSince ?? now;
  const running = state.pausedSince
    ? Math.max(0, businessMsBetween(state.pausedSince, now, state.policy.calendar)) / 1000
    : 0;
  const next = dueTimers(state)[0];
  return {
    policyId: state.policy.policyId,
    calendarKind: state.policy.calendar.kind,
    paused: !!state.pausedSince,
    ...(state.pausedSince ? { pausedSince: state.pausedSince } : {}),
    pausedSeconds: state.pausedSeconds + running,
    accept: deadlineView(state, state.accept, at),
    resolve: deadlineView(state, state.resolve, at),
    ...(next ? { next } : {}),
  };
}
