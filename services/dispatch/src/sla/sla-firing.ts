/**
 * What the SLA scanner does with one task's clock at `now`, as plain functions (no Nest, TypeORM,
 * Kafka): which timers fire, the state after they are recorded, the next instant to wake for, and
 * how late each firing is against its deadline.
 */
import type { EscalationAction, SlaDeadlineKind } from '@app/contracts';
import { businessMsBetween, dueTimers, recordFired, SlaState, SlaTimer } from '../domain';

export interface FiredTimer {
  timer: SlaTimer;
  /** The deadline the timer belongs to (acceptBy / resolveBy) as it stood when it fired. */
  deadlineDueAt: Date;
  /** Business seconds past the deadline at `now` (0 when on time; negative for a warning). */
  lateBySeconds: number;
  /** now − the instant the timer was due (wall clock), for the fire-lag metric. */
  lagSeconds: number;
}

export interface FiringPlan {
  state: SlaState;
  fired: FiredTimer[];
  /** The next timer after the fired ones (none when everything fired, the task ended, or paused). */
  next?: SlaTimer;
}

/** Fires every timer of `state` due at or before `now`, in order, each once. */
export function planFiring(state: SlaState, now: Date): FiringPlan {
  const due = dueTimers(state).filter((t) => t.dueAt.getTime() <= now.getTime());
  let s = state;
  const fired: FiredTimer[] = [];
  for (const timer of due) {
    const deadlineDueAt = s[timer.deadline].dueAt;
    const late =
      deadlineDueAt.getTime() <= now.getTime()
        ? Math.floor(businessMsBetween(deadlineDueAt, now, s.policy.calendar) / 1000)
        : -Math.ceil(businessMsBetween(now, deadlineDueAt, s.policy.calendar) / 1000);
    s = recordFired(s, timer, now);
    fired.push({
      timer,
      deadlineDueAt,
      lateBySeconds: late,
      lagSeconds: Math.max(0, (now.getTime() - timer.dueAt.getTime()) / 1000),
    });
  }
  const next = dueTimers(s)[0];
  return { state: s, fired, ...(next ? { next } : {}) };
}

export type SlaLifecycleType = 'case.sla-warning' | 'case.sla-breached' | 'case.escalated';

export function lifecycleTypeOf(timer: SlaTimer): SlaLifecycleType {
  return timer.kind === 'warning'
    ? 'case.sla-warning'
    : timer.kind === 'breach'
      ? 'case.sla-breached'
      : 'case.escalated';
}

const DEADLINE_ZH: Record<SlaDeadlineKind, string> = { accept: '签收时限', resolve: '办结时限' };
const ACTION_TEXT: Record<EscalationAction, string> = {
  remind_unit: 'reminder to the unit (催办)',
  notify_supervisor: "notice to the unit's supervisor",
  flag_supervision: 'flagged for supervision at the center (督办)',
};

/** The timeline / event note a person reads (center and the unit). */
export function firingNote(f: FiredTimer): string {
  const { timer } = f;
  const which = `${timer.deadline} deadline (${DEADLINE_ZH[timer.deadline]}) ${f.deadlineDueAt.toISOString()}`;
  switch (timer.kind) {
    case 'warning':
      return `SLA warning: the ${which} is near (${-f.lateBySeconds} s left)`;
    case 'breach':
      return `SLA breached: the ${which} passed (${f.lateBySeconds} s late)`;
    case 'escalation':
      return `Escalation step ${(timer.step ?? 0) + 1} on the ${which}: ${timer.action ? ACTION_TEXT[timer.action] : 'escalated'} (${f.lateBySeconds} s late)`;
  }
}
