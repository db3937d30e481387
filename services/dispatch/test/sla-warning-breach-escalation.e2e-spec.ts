/**
 * A task routed with a policy of a few seconds: warning, breach and every escalation step fire
 * exactly once each, within 2 s of their moment; the case is flagged for supervision (督办) once;
 * breaches are listed for the center and close when the unit signs; a supervisor acknowledges an
 * escalation once. The clock pauses while the case waits on the resident.
 */
import { Client } from 'pg';
import { waitFor } from '@app/testing';
import {
  assertFiredOnceOnTime,
  expectedFirings,
  fastPolicy,
  settled,
  slaEvents,
} from './support/sla-fixtures';
import { DispatchHarness, ErrorBody, makeReport, TestUnit } from './support/dispatch-harness';

interface BreachItem {
  breachId: string;
  caseId: string;
  deadline: string;
  dueAt: string;
  unitId: string;
  escalations: { escalationId: string; step: number; action: string; acknowledgedAt?: string }[];
}

describe('SLA warning, breach and escalation ladder', () => {
  let h: DispatchHarness;
  let property: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('slaladder');
    property = await h.unit('property_management', '幸福小区物业');
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('fires each timer once and on time, flags 督办 once, lists and settles breaches, acknowledges once', async () => {
    const policy = fastPolicy();
    const report = makeReport();
    await h.routed(report, property, [], { slaPolicy: policy });
    const assigned = await h.waitEvent(report.caseId, 'case.assigned');
    const t0 = new Date(assigned.payload.at).getTime();
    expect(new Date(assigned.payload.acceptBy!).getTime()).toBe(t0 + 3000);

    const expected = expectedFirings(t0, policy);
    const last = expected[expected.length - 1];
    await h.lifecycle.waitForEvent(
      (e) =>
        e.payload.caseId === report.caseId &&
        e.type === 'case.escalated' &&
        e.payload.escalationStep === last.step,
      20_000,
      'the last escalation step',
    );
    await settled(h, report.caseId);
    const events = slaEvents(h, report.caseId);
    assertFiredOnceOnTime(events, expected);
    expect(events.filter((e) => e.type === 'case.supervision-flagged')).toHaveLength(1);
    const breach = events.find((e) => e.type === 'case.sla-breached' && e.payload.deadline === 'accept')!;
    expect(breach.payload).toMatchObject({
      unitId: property.unitId,
      dueAt: new Date(t0 + 3000).toISOString(),
      residentVisible: false,
      actorKind: 'system',
    });
    expect(breach.payload.lateBySeconds).toBeGreaterThanOrEqual(0);
    expect(breach.payload.lateBySeconds).toBeLessThanOrEqual(2);

    // The case view: flagged, per-task SLA overdue on both deadlines; the timeline has every step.
    const view = await h.center<{
      supervisionFlagged: boolean;
      tasks: { sla: { accept: { standing: string } } }[];
    }>('dispatcher', 'GET', `/center/v1/cases/${report.caseId}`);
    expect(view.body.supervisionFlagged).toBe(true);
    expect(view.body.tasks[0].sla.accept.standing).toBe('overdue');
    const timeline = await h.center<{ eventType: string }[]>(
      'dispatcher',
      'GET',
      `/center/v1/cases/${report.caseId}/timeline`,
    );
    const kinds = (timeline.body as { eventType: string }[]).map((e) => e.eventType);
    expect(kinds.filter((k) => k === 'case.sla-breached')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'case.escalated')).toHaveLength(5);
    const caseSla = await h.center<{
      tasks: { sla: { resolve: { standing: string; overdueSeconds: number } } }[];
    }>('dispatcher', 'GET', `/center/v1/cases/${report.caseId}/sla`);
    expect(caseSla.status).toBe(200);
    expect(caseSla.body.tasks[0].sla.resolve.standing).toBe('overdue');

    // Open breaches for the center, oldest first, filters; then the unit signs: the accept breach closes.
    const list = await h.center<{ items: BreachItem[] }>(
      'dispatcher',
      'GET',
      `/center/v1/sla/breaches?unitId=${property.unitId}`,
    );
    expect(list.status).toBe(200);
    const mine = list.body.items.filter((b) => b.caseId === report.caseId);
    expect(mine.map((b) => b.deadline)).toEqual(['accept', 'resolve']);
    expect(mine[0].escalations.map((e) => e.action)).toEqual([
      'remind_unit',
      'notify_supervisor',
      'flag_supervision',
    ]);
    const byArea = await h.center<{ items: BreachItem[] }>(
      'dispatcher',
      'GET',
      `/center/v1/sla/breaches?areaCode=G-04&categoryCode=drain_blocked`,
    );
    expect(byArea.body.items.filter((b) => b.caseId === report.caseId)).toHaveLength(2);
    const none = await h.center<{ items: BreachItem[] }>(
      'dispatcher',
      'GET',
      `/center/v1/sla/breaches?categoryCode=no_such`,
    );
    expect(none.body.items).toHaveLength(0);
    const bad = await h.center<ErrorBody>('dispatcher', 'GET', `/center/v1/sla/breaches?limit=0`);
    expect(bad.status).toBe(400);

    // Acknowledge: dispatcher may not; supervisor once; a second time is refused.
    const escalationId = mine[0].escalations[2].escalationId;
    const path = `/center/v1/sla/escalations/${escalationId}/acknowledge`;
    expect((await h.center<ErrorBody>('dispatcher', 'POST', path, {})).status).toBe(403);
    const ack = await h.center<{ acknowledgedBy: string; acknowledgedAt: string }>(
      'supervisor',
      'POST',
      path,
      {
        note: '已电话督促物业',
      },
    );
    expect(ack.status).toBe(200);
    expect(ack.body.acknowledgedBy).toBe('supervisor');
    const again = await h.center<ErrorBody>('supervisor', 'POST', path, {});
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('SLA.ESCALATION_ALREADY_ACKNOWLEDGED');
    const acked = await h.waitEvent(report.caseId, 'case.escalation-acknowledged');
    expect(acked.payload).toMatchObject({
      escalationStep: 2,
      escalationAction: 'flag_supervision',
      deadline: 'accept',
    });
    const missing = await h.center<ErrorBody>(
      'supervisor',
      'POST',
      `/center/v1/sla/escalations/00000000-0000-4000-8000-000000000000/acknowledge`,
      {},
    );
    expect(missing.status).toBe(404);

    const task = await h.taskOf(property, report.caseId);
    expect((await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/accept`)).status).toBe(200);
    const after = await h.center<{ items: BreachItem[] }>(
      'dispatcher',
      'GET',
      `/center/v1/sla/breaches?unitId=${property.unitId}`,
    );
    expect(after.body.items.filter((b) => b.caseId === report.caseId).map((b) => b.deadline)).toEqual([
      'resolve',
    ]);
    // Accepting late fires nothing more.
    expect(slaEvents(h, report.caseId)).toHaveLength(events.length);
  });

  it('pauses while the case waits on the resident and resumes when they answer', async () => {
    const policy = { ...fastPolicy(3, 60), escalation: [] };
    const report = makeReport();
    await h.routed(report, property, [], { slaPolicy: policy });
    const assigned = await h.waitEvent(report.caseId, 'case.assigned');
    const t0 = new Date(assigned.payload.at).getTime();
    const ask = await h.center('dispatcher', 'POST', `/center/v1/cases/${report.caseId}/request-info`, {
      question: '请提供具体楼层和门牌号',
    });
    expect(ask.status).toBe(200);
    const db = new Client({ connectionString: h.ns.databaseUrl });
    await db.connect();
    try {
      const paused = await db.query(`SELECT next_timer_at FROM dispatch.task_sla WHERE case_id = $1`, [
        report.caseId,
      ]);
      expect(paused.rows[0].next_timer_at).toBeNull();
    } finally {
      await db.end();
    }
    // Answer after the accept deadline would have passed.
    await waitFor(() => Date.now() > t0 + 3500, {
      what: 'the unpaused accept deadline to pass',
      timeoutMs: 10_000,
    });
    const answeredAt = Date.now();
    await h.resident('case.info-provided', report, { comment: '3楼302' });
    const breach = await h.waitEvent(
      report.caseId,
      'case.sla-breached',
      (p) => p.deadline === 'accept',
      20_000,
    );
    const pausedMs = answeredAt - t0; // the pause began right after assignment
    expect(new Date(breach.payload.at).getTime()).toBeGreaterThanOrEqual(t0 + 3000 + pausedMs - 1000);
    expect(
      h.events(report.caseId, 'case.sla-warning').filter((e) => e.payload.deadline === 'accept'),
    ).toHaveLength(1);
    const view = await h.center<{ tasks: { sla: { pausedSeconds: number } }[] }>(
      'dispatcher',
      'GET',
      `/center/v1/cases/${report.caseId}`,
    );
    expect(view.body.tasks[0].sla.pausedSeconds).toBeGreaterThan(2);
  });
});
