import type { EntityManager } from 'typeorm';
import type { SlaDeadlineKind } from '@app/contracts';
import type { SlaState } from '../domain';
import { S } from '../dispatch.config';

/**
 * Keeps the open-breach list true when a task's clock changes (called by the case workflow in the
 * transaction that writes the clock): a breach is open while its deadline is breached and not met;
 * accepting, resolving, ending the task or an extension (which restarts the resolve clock) closes it.
 */
export async function settleSlaBreaches(
  manager: EntityManager,
  taskId: string,
  sla: SlaState,
  now: Date,
): Promise<void> {
  const closing: { deadline: SlaDeadlineKind; how: string }[] = [];
  for (const d of [sla.accept, sla.resolve]) {
    if (d.satisfiedAt) closing.push({ deadline: d.deadline, how: 'met' });
    else if (!d.breachedAt) closing.push({ deadline: d.deadline, how: 'restarted' });
  }
  for (const c of closing) {
    await manager.query(
      `UPDATE ${S}.sla_breaches SET resolved_at = $3, resolution = $4
        WHERE task_id = $1 AND deadline = $2 AND resolved_at IS NULL`,
      [taskId, c.deadline, now, c.how],
    );
  }
}
