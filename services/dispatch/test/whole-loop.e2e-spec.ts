/**
 * The whole loop on real infrastructure, the four services as real processes in one namespace,
 * nothing injected: a resident reports at intake (POST /v1/reports) → routing (demo district
 * seed) routes it to the covering property company → dispatch assigns → notification sends the
 * new task to the company's webhook (signature verified) → the company accepts, reports progress
 * and resolves through the partner API with its demo key → the resident sees `resolved` at intake,
 * confirms, satisfied → dispatch closes it (resident_confirmed) → intake's tracking view shows it
 * closed. Also: unsatisfied → reopened to the same lead unit; a confidential reporter stays
 * hidden from the property company in the partner API, the case.assigned event and the webhook.
 */
import { Pipeline } from './support/pipeline-harness';

const GHY = 'U-PM-GHY';

describe('whole loop: intake → routing → dispatch → partner → resident confirmation → closed', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await Pipeline.start('wholeloop', { webhookUnits: [GHY] });
  }, 180_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('closes a blocked-drain report with a satisfied rating, every hop visible', async () => {
    const correlationId = `wholeloop-${Date.now()}`;
    const report = await p.report(
      { description: '楼下下水道堵了，污水流进家里', location: { buildingCode: 'WL-GH-G1-B02' } },
      { 'x-correlation-id': correlationId },
    );
    expect(report.caseId).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.trackingToken).toBeTruthy();

    // routing → dispatch
    const routed = await p.waitRouted(report.caseId);
    expect(routed.payload.lead).toMatchObject({ unitId: GHY, unitType: 'property_management' });
    expect(routed.payload.report.reference).toBe(report.reference);
    const assigned = await p.waitLifecycle(report.caseId, 'case.assigned');
    expect(assigned.payload).toMatchObject({ unitId: GHY, taskRole: 'lead', status: 'assigned' });
    const taskId = assigned.payload.taskId!;
    // One correlation id from the resident's request through every hop; each event caused by the one before.
    expect(routed).toMatchObject({ correlationId, causationId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(assigned).toMatchObject({ correlationId, causationId: routed.eventId });

    // notification → the unit's own system, signed with the unit's secret
    const hook = await p.webhooks.wait(report.caseId, 'case.assigned', GHY);
    expect(hook.body).toMatchObject({ reference: report.reference, data: { taskId, unitId: GHY } });
    expect(hook.headers['x-webhook-id']).toBe(hook.body!.deliveryId);
    expect(p.webhooks.received.filter((w) => !w.verified)).toEqual([]);

    // the property company works the task with its demo key
    const task = await p.taskOf(GHY, report.caseId);
    expect(task.taskId).toBe(taskId);
    expect(task.case.reporterName).toBe('王阿姨');
    const accepted = await p.partner(GHY, 'POST', `/partner/v1/tasks/${taskId}/accept`, undefined, {
      'x-correlation-id': `${correlationId}-accept`,
    });
    expect([accepted.status, accepted.body.status]).toEqual([200, 'accepted']);
    // A partner's request is work of its own: its events carry its correlation id, no causation.
    const acceptedEvent = await p.waitLifecycle(report.caseId, 'case.accepted');
    expect(acceptedEvent.correlationId).toBe(`${correlationId}-accept`);
    expect(acceptedEvent.causationId).toBeUndefined();
    const progress = await p.partner(GHY, 'POST', `/partner/v1/tasks/${taskId}/progress`, {
      note: '两名工程师已到场疏通',
    });
    expect([progress.status, progress.body.status]).toEqual([200, 'in_progress']);
    const resolved = await p.partner(GHY, 'POST', `/partner/v1/tasks/${taskId}/resolve`, {
      note: '管道已疏通，现场已清理',
      evidence: [{ url: 'https://media.example.org/after.jpg', contentType: 'image/jpeg' }],
    });
    expect([resolved.status, resolved.body.status]).toEqual([200, 'resolved']);

    // the resident sees it resolved at intake, and confirms
    const resolvedView = await p.waitTracking(report, (v) => v.status === 'resolved', 'resolved');
    expect(resolvedView.awaitingFeedback).toBe(true);
    const fb = await p.feedback(report, {
      confirmed: true,
      satisfaction: 'satisfied',
      comment: '谢谢，很及时',
    });
    expect(fb.status).toBe(202);

    const closed = await p.waitCase(report.caseId, (c) => c.status === 'closed', 'closed');
    expect(closed).toMatchObject({
      closedHow: 'resident_confirmed',
      satisfaction: 'satisfied',
      leadUnitId: GHY,
    });
    const closedEvent = await p.waitLifecycle(report.caseId, 'case.closed');
    expect(closedEvent.payload).toMatchObject({ closedHow: 'resident_confirmed', satisfaction: 'satisfied' });

    const finalView = await p.waitTracking(report, (v) => v.status === 'closed', 'closed');
    expect(finalView.awaitingFeedback).toBe(false);
    const residentTypes = finalView.timeline.map((e) => e.type);
    expect(residentTypes).toEqual(
      expect.arrayContaining(['case.assigned', 'case.accepted', 'case.resolved', 'case.closed']),
    );
    expect(finalView.timeline.every((e) => !!e.note)).toBe(true);
    // The resident's view never shows internal details (unit notes are replaced by resident notes).
    expect(JSON.stringify(finalView)).not.toContain('demo-key');

    // the center's timeline has every step
    const centerTypes = (await p.centerTimeline(report.caseId)).map((e) => e.eventType);
    expect(centerTypes).toEqual(
      expect.arrayContaining([
        'case.assigned',
        'case.accepted',
        'case.progress',
        'case.resolved',
        'case.closed',
      ]),
    );
    expect(p.lifecycleTypes(report.caseId)).toEqual(
      expect.arrayContaining([
        'case.assigned',
        'case.accepted',
        'case.progress',
        'case.resolved',
        'case.closed',
      ]),
    );
  });

  it('reopens to the same lead unit when the resident is unsatisfied', async () => {
    const report = await p.report({
      description: '小区化粪池污水外溢，臭气熏天',
      location: { buildingCode: 'WL-GH-G1-B04' },
    });
    const assigned = await p.waitLifecycle(report.caseId, 'case.assigned');
    expect(assigned.payload.unitId).toBe(GHY);
    const first = assigned.payload.taskId!;
    expect((await p.partner(GHY, 'POST', `/partner/v1/tasks/${first}/accept`)).status).toBe(200);
    expect(
      (await p.partner(GHY, 'POST', `/partner/v1/tasks/${first}/resolve`, { note: '已清掏化粪池' })).status,
    ).toBe(200);
    await p.waitTracking(report, (v) => v.awaitingFeedback, 'awaiting feedback');

    const fb = await p.feedback(report, {
      confirmed: false,
      satisfaction: 'unsatisfied',
      comment: '还是有臭味',
    });
    expect(fb.status).toBe(202);
    const reopened = await p.waitLifecycle(report.caseId, 'case.reopened');
    expect(reopened.payload).toMatchObject({ unitId: GHY, taskRole: 'lead', status: 'assigned' });
    expect(reopened.payload.taskId).not.toBe(first);

    const again = await p.taskOf(GHY, report.caseId, (t) => t.taskId === reopened.payload.taskId);
    expect(again.status).toBe('assigned');
    await p.webhooks.wait(report.caseId, 'case.reopened', GHY);
    const view = await p.waitTracking(report, (v) => v.status === 'assigned', 'reopened');
    expect(view.awaitingFeedback).toBe(false);
    expect(view.timeline.map((e) => e.type)).toContain('case.reopened');
    const c = await p.waitCase(report.caseId, (x) => x.status === 'assigned', 'assigned again');
    expect(c.closedHow).toBeUndefined();
  });

  it('keeps a confidential reporter hidden from a non-police unit across the pipeline', async () => {
    const name = '赵保密';
    const phone = '13700137999';
    const report = await p.report({
      description: '厨房下水管堵塞，污水倒灌',
      location: { buildingCode: 'WL-GH-G1-B03' },
      reporter: { anonymous: false, confidential: true, name, phone, preferredContact: 'sms' },
    });
    const assigned = await p.waitLifecycle(report.caseId, 'case.assigned');
    expect(assigned.payload.unitId).toBe(GHY);
    expect(assigned.payload.task).toMatchObject({ reference: report.reference, reporterConfidential: true });
    expect(JSON.stringify(assigned.payload)).not.toContain(name);
    expect(JSON.stringify(assigned.payload)).not.toContain(phone);

    const task = await p.taskOf(GHY, report.caseId);
    const detail = await p.partner(GHY, 'GET', `/partner/v1/tasks/${task.taskId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.case.reporterConfidential).toBe(true);
    for (const body of [JSON.stringify(task), JSON.stringify(detail.body)]) {
      expect(body).not.toContain(name);
      expect(body).not.toContain(phone);
    }

    const hook = await p.webhooks.wait(report.caseId, 'case.assigned', GHY);
    expect(hook.body?.data.task).toBeDefined();
    expect(hook.raw).not.toContain(name);
    expect(hook.raw).not.toContain(phone);

    // The center still sees who reported.
    const center = await p.center<{ report: { reporter: { name?: string } } }>(
      'admin',
      'GET',
      `/center/v1/cases/${report.caseId}`,
    );
    expect(center.body.report.reporter.name).toBe(name);
  });
});
