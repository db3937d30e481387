/**
 * A partner action and a concurrent change of its case (the SLA scanner writing a fired timer onto
 * a task's clock while it holds the case row; the other unit of the case acting at the same moment)
 * must both survive: the action must never write back a clock it read before the other change.
 *
 * Without an Idempotency-Key the action reads its case without a lock and writes it in one
 * statement that checks the case's version (CaseRepository.readByTask / write); the scanner raises
 * the version when it holds the case, so the action's write is refused and it reads again. With a
 * key the action locks the case, and its clocks after it, in one statement first: under READ
 * COMMITTED a statement that waited for a lock reads other rows as they were before it waited,
 * except rows it locks itself, so the clocks must be locked there (after the case: the holder here
 * writes the clock while the action waits, which deadlocks if the action took the clock first).
 */
import { Client } from 'pg';
import { waitFor } from '@app/testing';
import { DispatchHarness, makeReport, metricValue, TestUnit } from './support/dispatch-harness';
import { fastPolicy } from './support/sla-fixtures';

interface TaskView {
  status: string;
  sla: { accept: { warnedAt?: string; satisfiedAt?: string } };
}

describe('a partner action and a concurrent change of its case (real Postgres)', () => {
  let h: DispatchHarness;
  let property: TestUnit;
  let volunteers: TestUnit;
  let locker: Client | undefined;

  beforeAll(async () => {
    h = await DispatchHarness.start('partner-conc');
    property = await h.unit('property_management', '幸福小区物业');
    volunteers = await h.unit('volunteer_team', '幸福社区志愿队');
  });

  afterEach(async () => {
    await locker?.end().catch(() => undefined);
    locker = undefined;
  });

  afterAll(async () => {
    await h?.stop();
  });

  const warnedAt = '2026-01-02T03:04:05.000Z';

  /** A session of the test's own on dispatch's database. */
  async function session(): Promise<Client> {
    const db = new Client({ connectionString: h.ns.databaseUrl });
    await db.connect();
    return db;
  }

  /** A routed case's lead task id. */
  async function assignedTask(): Promise<{ caseId: string; taskId: string }> {
    const report = makeReport();
    await h.routed(report, property);
    const assigned = await h.waitEvent(report.caseId, 'case.assigned');
    return { caseId: report.caseId, taskId: assigned.payload.taskId! };
  }

  /** Holds the case as the SLA scanner does, until the accept's statement waits for it. */
  async function holdWhileAccepting(caseId: string, taskId: string, headers: Record<string, string>) {
    locker = await h.holdCase(caseId);
    const accept = h.partner(property, 'POST', `/partner/v1/tasks/${taskId}/accept`, {}, headers);
    await waitFor(
      async () => {
        const { rows } = await locker!.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        return rows[0].n >= 1;
      },
      { what: 'the accept to wait for the case lock', timeoutMs: 15_000 },
    );
    // Wrapped: an async function's answer that is a promise would be awaited with it.
    return { accept };
  }

  /** The clock after the accept, as the answer showed it and as stored; one accepted entry. */
  async function expectAcceptedKeepingWarning(
    answer: { status: number; body: unknown },
    caseId: string,
    taskId: string,
  ): Promise<void> {
    expect(answer.status).toBe(200);
    const view = answer.body as TaskView;
    expect(view.status).toBe('accepted');
    expect(view.sla.accept.warnedAt).toBe(warnedAt);
    expect(view.sla.accept.satisfiedAt).toBeDefined();
    const { rows } = await locker!.query<{ warned: string | null; satisfied: string | null }>(
      `SELECT sla->'accept'->>'warnedAt' AS warned, sla->'accept'->>'satisfiedAt' AS satisfied
         FROM dispatch.task_sla WHERE task_id = $1`,
      [taskId],
    );
    expect(rows[0]).toEqual({ warned: warnedAt, satisfied: expect.any(String) });
    const written = await locker!.query<{ timeline: number; outbox: number }>(
      `SELECT (SELECT count(*)::int FROM dispatch.timeline WHERE case_id = $1 AND event_type = 'case.accepted') AS timeline,
              (SELECT count(*)::int FROM dispatch.outbox WHERE message_key = $1::text AND event_type = 'case.accepted') AS outbox`,
      [caseId],
    );
    expect(written.rows[0]).toEqual({ timeline: 1, outbox: 1 });
  }

  it('without a key: the accept read before the scanner wrote a warning, is refused once, reads again and keeps it', async () => {
    const { caseId, taskId } = await assignedTask();
    const retried = () => metricValue(h.url, 'case_write_conflicts_total', { then: 'retried' });
    const before = await retried();

    const { accept } = await holdWhileAccepting(caseId, taskId, {});
    // The scanner's write: the fired warning onto the clock, and the case's version raised.
    await locker!.query(
      `UPDATE dispatch.task_sla SET sla = jsonb_set(sla, '{accept,warnedAt}', to_jsonb($2::text)) WHERE task_id = $1`,
      [taskId, warnedAt],
    );
    await locker!.query(`UPDATE dispatch.cases SET version = version + 1 WHERE case_id = $1`, [caseId]);
    await locker!.query('COMMIT');

    await expectAcceptedKeepingWarning(await accept, caseId, taskId);
    expect(await retried()).toBe(before + 1);
  });

  it('with a key: the accept locks the case and its clocks first and sees the warning written while it waited', async () => {
    const { caseId, taskId } = await assignedTask();
    const { accept } = await holdWhileAccepting(caseId, taskId, { 'idempotency-key': `accept-${taskId}` });
    // Written while the accept waits: had its statement locked the clock before the case, this
    // would wait for it in turn (a deadlock, one of the two aborted).
    await locker!.query(
      `UPDATE dispatch.task_sla SET sla = jsonb_set(sla, '{accept,warnedAt}', to_jsonb($2::text)) WHERE task_id = $1`,
      [taskId, warnedAt],
    );
    await locker!.query('COMMIT');
    await expectAcceptedKeepingWarning(await accept, caseId, taskId);
  });

  it('the SLA scanner raises the version of a case whose timer it fires; an accept after it keeps the warning', async () => {
    const report = makeReport();
    // The accept warning at 6 s; the next timer, the accept breach, at 12 s: 6 s for the checks below.
    await h.routed(report, property, [], { slaPolicy: fastPolicy(12, 60) });
    const assigned = await h.waitEvent(report.caseId, 'case.assigned');
    locker = await session();
    const version = async () =>
      (
        await locker!.query<{ version: number }>(`SELECT version FROM dispatch.cases WHERE case_id = $1`, [
          report.caseId,
        ])
      ).rows[0].version;
    const created = await version();
    await h.waitEvent(report.caseId, 'case.sla-warning');
    expect(await version()).toBe(created + 1);

    // An accept after it reads the fired warning and keeps it.
    const answer = await h.partner(
      property,
      'POST',
      `/partner/v1/tasks/${assigned.payload.taskId}/accept`,
      {},
    );
    expect(answer.status).toBe(200);
    expect((answer.body as unknown as TaskView).sla.accept.warnedAt).toBeDefined();
    expect(await version()).toBe(created + 2);
  });

  it('the lead and the support unit accepting the same case at once both land', async () => {
    const rounds = 8;
    const results = await Promise.all(
      Array.from({ length: rounds }, async () => {
        const report = makeReport();
        await h.routed(report, property, [volunteers]);
        const lead = await h.waitEvent(report.caseId, 'case.assigned', (p) => p.taskRole === 'lead');
        const support = await h.waitEvent(report.caseId, 'case.assigned', (p) => p.taskRole === 'support');
        const answers = await Promise.all([
          h.partner(property, 'POST', `/partner/v1/tasks/${lead.payload.taskId}/accept`, {}),
          h.partner(volunteers, 'POST', `/partner/v1/tasks/${support.payload.taskId}/accept`, {}),
        ]);
        return { caseId: report.caseId, statuses: answers.map((a) => a.status) };
      }),
    );
    locker = await session();
    for (const r of results) {
      expect(r.statuses).toEqual([200, 200]);
      // The task rows, and the case's own state: a write from a stale read would put the other
      // unit's task back to assigned there.
      const { rows } = await locker.query<{ statuses: string[]; inState: string[]; accepted: number }>(
        `SELECT (SELECT array_agg(t.status ORDER BY t.role) FROM dispatch.tasks t WHERE t.case_id = $1) AS statuses,
                (SELECT array_agg(t->>'status' ORDER BY t->>'role') FROM dispatch.cases c,
                   jsonb_array_elements(c.state->'tasks') t WHERE c.case_id = $1) AS "inState",
                (SELECT count(*)::int FROM dispatch.timeline tl WHERE tl.case_id = $1 AND tl.event_type = 'case.accepted') AS accepted`,
        [r.caseId],
      );
      expect(rows[0]).toEqual({
        statuses: ['accepted', 'accepted'],
        inState: ['accepted', 'accepted'],
        accepted: 2,
      });
    }
  });
});
