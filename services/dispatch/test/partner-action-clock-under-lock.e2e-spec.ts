/**
 * A partner action reads its case's SLA clocks in the statement that locks the case. Under READ
 * COMMITTED a statement that waited for a lock reads other rows as they were before it waited, so
 * a clock changed by the transaction it waited for (here: as the SLA scanner does it, holding the
 * case row and writing a fired warning onto the clock) must still reach the action, or the action
 * would write the old clock back and the warning would be lost. The clocks are locked by that
 * statement for this reason (CaseRepository.lock, lockByTask), after the case row: the session here
 * writes the clock while the action waits, which deadlocks if the action took the clock first.
 */
import type { Client } from 'pg';
import { waitFor } from '@app/testing';
import { DispatchHarness, makeReport, TestUnit } from './support/dispatch-harness';

describe('a partner action sees the clock change of the transaction it waited for (real Postgres)', () => {
  let h: DispatchHarness;
  let property: TestUnit;
  let locker: Client | undefined;

  beforeAll(async () => {
    h = await DispatchHarness.start('clock-lock');
    property = await h.unit('property_management', '幸福小区物业');
  });

  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await h?.stop();
  });

  it('keeps a warning fired while the accept waited on the case row', async () => {
    const report = makeReport();
    await h.routed(report, property);
    const assigned = await h.waitEvent(report.caseId, 'case.assigned');
    const taskId = assigned.payload.taskId!;
    const warnedAt = '2026-01-02T03:04:05.000Z';

    // The scanner's shape: the case row first, then the task's clock, one transaction.
    locker = await h.holdCase(report.caseId);
    const accept = h.partner(property, 'POST', `/partner/v1/tasks/${taskId}/accept`, {});
    // The accept's statement has taken its snapshot and waits for the case row.
    await waitFor(
      async () => {
        const { rows } = await locker!.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%task_sla%'`,
        );
        return rows[0].n >= 1;
      },
      { what: 'the accept to wait for the case lock', timeoutMs: 15_000 },
    );
    // Written while the accept waits: had the accept's statement locked the clock before the case,
    // this would wait for it in turn (a deadlock, one of the two aborted).
    await locker.query(
      `UPDATE dispatch.task_sla SET sla = jsonb_set(sla, '{accept,warnedAt}', to_jsonb($2::text)) WHERE task_id = $1`,
      [taskId, warnedAt],
    );
    await locker.query('COMMIT');

    const answer = await accept;
    expect(answer.status).toBe(200);
    const view = answer.body as unknown as {
      status: string;
      sla: { accept: { warnedAt?: string; satisfiedAt?: string } };
    };
    expect(view.status).toBe('accepted');
    expect(view.sla.accept.warnedAt).toBe(warnedAt);
    expect(view.sla.accept.satisfiedAt).toBeDefined();
    const { rows } = await locker.query<{ warned: string | null; satisfied: string | null }>(
      `SELECT sla->'accept'->>'warnedAt' AS warned, sla->'accept'->>'satisfiedAt' AS satisfied
         FROM dispatch.task_sla WHERE task_id = $1`,
      [taskId],
    );
    expect(rows[0]).toEqual({ warned: warnedAt, satisfied: expect.any(String) });
  });
});
