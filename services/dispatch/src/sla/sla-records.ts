import type { SlaDeadlineKind } from '@app/contracts';
import type { SlaState } from '../domain';

/**
 * Keeps the open-breach list true when a task's clock changes (the case workflow writes what this
 * returns in the transaction that writes the clock): a breach is open while its deadline is
 * breached and not met; accepting, resolving, ending the task or an extension (which restarts the
 * resolve clock) closes it. A breach row is only ever opened together with `breachedAt` on the
 * clock (SLA scanner, same transaction), so a deadline that was not breached before this change
 * has no open row to settle and costs no statement.
 */
export function settledBreaches(
  taskId: string,
  before: SlaState | undefined,
  after: SlaState,
  now: Date,
): { task_id: string; deadline: SlaDeadlineKind; how: string; at: Date }[] {
  const out: { task_id: string; deadline: SlaDeadlineKind; how: string; at: Date }[] = [];
  for (const d of [after.accept, after.resolve]) {
    if (!before?.[d.deadline].breachedAt) continue;
    const how = d.satisfiedAt ? 'met' : !d.breachedAt ? 'restarted' : undefined;
    if (how) out.push({ task_id: taskId, deadline: d.deadline, how, at: now });
  }
  return out;
}
