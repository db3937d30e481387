/**
 * The dispatch loop on real infrastructure, with routing and intake played by injected events:
 * routed → assigned (lead + support) → partner accept, progress, extension (granted by a
 * supervisor), resolve with evidence → resident confirms satisfied → closed; and unsatisfied →
 * reopened to the same lead unit. Confidential reporters stay hidden from non-police units.
 */
import { Topic } from '@app/contracts';
import { TopicReader } from '@app/testing';
import {
  DispatchHarness,
  makeReport,
  PartnerTask,
  TestUnit,
  TimelineEntry,
} from './support/dispatch-harness';

describe('dispatch case loop', () => {
  let h: DispatchHarness;
  let property: TestUnit;
  let volunteers: TestUnit;
  let police: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('dsploop');
    [property, volunteers, police] = await Promise.all([
      h.unit('property_management', '幸福小区物业'),
      h.unit('volunteer_team', '红马甲志愿服务队'),
      h.unit('police', '幸福路派出所'),
    ]);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('runs routed → accept → progress → extension → resolve → satisfied confirmation → closed, lead + support', async () => {
    const report = makeReport({
      reporter: { anonymous: false, confidential: true, name: '李四', phone: '13900000000' },
    });
    await h.routed(report, property, [volunteers, police]);

    const assigned = await h.lifecycle.waitForCount(
      (e) => e.payload.caseId === report.caseId && e.type === 'case.assigned',
      3,
    );
    const lead = assigned.find((e) => e.payload.taskRole === 'lead')!.payload;
    expect(lead).toMatchObject({
      unitId: property.unitId,
      unitName: '幸福小区物业',
      status: 'assigned',
      residentVisible: true,
    });
    expect(lead.acceptBy).toBeDefined();
    expect(lead.resolveBy).toBeDefined();
    // Confidential reporter: omitted for every unit but the police.
    expect(lead.task).toMatchObject({ reference: report.reference, reporterConfidential: true });
    expect(lead.task).not.toHaveProperty('reporterName');
    expect(lead.task).not.toHaveProperty('reporterPhone');
    const policeAssigned = assigned.find((e) => e.payload.unitId === police.unitId)!.payload;
    expect(policeAssigned.task).toMatchObject({ reporterName: '李四', reporterPhone: '13900000000' });

    // Partner views apply confidentiality too.
    const leadTask = await h.taskOf(property, report.caseId);
    expect(leadTask.case.reporterName).toBeUndefined();
    const policeTask = await h.taskOf(police, report.caseId);
    expect(policeTask.case.reporterName).toBe('李四');
    const supportTask = await h.taskOf(volunteers, report.caseId);
    expect(supportTask.role).toBe('support');

    // 签收, idempotent by key.
    const accept1 = await h.partner(
      property,
      'POST',
      `/partner/v1/tasks/${leadTask.taskId}/accept`,
      undefined,
      { 'idempotency-key': `accept-${leadTask.taskId}` },
    );
    expect(accept1.status).toBe(200);
    expect(accept1.body.status).toBe('accepted');
    const accept2 = await h.partner(
      property,
      'POST',
      `/partner/v1/tasks/${leadTask.taskId}/accept`,
      undefined,
      { 'idempotency-key': `accept-${leadTask.taskId}` },
    );
    expect(accept2.status).toBe(200);
    expect(accept2.headers.get('idempotent-replayed')).toBe('true');
    // Without the key a second accept is an illegal transition with the allowed next steps.
    const accept3 = await h.partner(property, 'POST', `/partner/v1/tasks/${leadTask.taskId}/accept`);
    expect(accept3.status).toBe(409);
    expect(accept3.body.code).toBe('DISPATCH.INVALID_TASK_STATUS');

    // Progress, then ask for more time; a supervisor grants it.
    const progress = await h.partner(property, 'POST', `/partner/v1/tasks/${leadTask.taskId}/progress`, {
      note: '已派两名工程师到场疏通',
    });
    expect(progress.status).toBe(200);
    expect(progress.body.status).toBe('in_progress');
    const due = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const ext = await h.partner(property, 'POST', `/partner/v1/tasks/${leadTask.taskId}/extension`, {
      reason: '需要等待配件',
      requestedDueAt: due,
    });
    expect(ext.status).toBe(200);
    const noRight = await h.center(
      'dispatcher',
      'POST',
      `/center/v1/cases/${report.caseId}/extension/approve`,
      {},
    );
    expect(noRight.status).toBe(403);
    const granted = await h.center(
      'supervisor',
      'POST',
      `/center/v1/cases/${report.caseId}/extension/approve`,
      { note: '同意' },
    );
    expect(granted.status).toBe(200);
    expect(granted.body.pendingExtension).toBeUndefined();
    expect(granted.body.tasks.find((t) => t.taskId === leadTask.taskId)!.resolveBy).toBe(due);
    await h.waitEvent(report.caseId, 'case.extension-granted', (p) => p.resolveBy === due);

    // Lead resolves while the support task is still open: the case waits for support.
    const bad = await h.partner(property, 'POST', `/partner/v1/tasks/${leadTask.taskId}/resolve`, {
      note: '',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('note');
    const resolved = await h.partner(property, 'POST', `/partner/v1/tasks/${leadTask.taskId}/resolve`, {
      note: '管道已疏通，现场已清理',
      evidence: [{ url: 'https://media.example.org/after.jpg', contentType: 'image/jpeg' }],
    });
    expect(resolved.status).toBe(200);
    expect(await h.caseStatus(report.caseId)).toBe('in_progress');
    // The police task is released by the center; the volunteers accept and resolve.
    const released = await h.center(
      'dispatcher',
      'POST',
      `/center/v1/cases/${report.caseId}/tasks/${policeTask.taskId}/release`,
      { reason: '无需协办' },
    );
    expect(released.status).toBe(200);
    await h.partner(volunteers, 'POST', `/partner/v1/tasks/${supportTask.taskId}/accept`);
    const supportDone = await h.partner(
      volunteers,
      'POST',
      `/partner/v1/tasks/${supportTask.taskId}/resolve`,
      { note: '已帮助老人清理' },
    );
    expect(supportDone.status).toBe(200);
    const resolvedEvent = await h.waitEvent(report.caseId, 'case.resolved');
    expect(resolvedEvent.payload.evidence).toEqual([
      { url: 'https://media.example.org/after.jpg', contentType: 'image/jpeg' },
    ]);
    expect(resolvedEvent.payload.status).toBe('resolved');

    // The resident (through intake) confirms and is satisfied.
    await h.resident('case.feedback-submitted', report, {
      confirmed: true,
      satisfaction: 'satisfied',
      comment: '很满意',
    });
    const closed = await h.waitEvent(report.caseId, 'case.closed');
    expect(closed.payload).toMatchObject({
      closedHow: 'resident_confirmed',
      satisfaction: 'satisfied',
      status: 'closed',
    });
    const view = await h.center('admin', 'GET', `/center/v1/cases/${report.caseId}`);
    expect(view.body).toMatchObject({
      status: 'closed',
      closedHow: 'resident_confirmed',
      satisfaction: 'satisfied',
    });
    expect(view.body.report.reporter.name).toBe('李四');

    // Timeline: the center sees everything; the resident only their lines; no partner view shows the reporter.
    const center = await h.center<TimelineEntry[]>(
      'dispatcher',
      'GET',
      `/center/v1/cases/${report.caseId}/timeline`,
    );
    expect(center.body.map((e) => e.eventType)).toEqual(
      expect.arrayContaining([
        'case.assigned',
        'case.accepted',
        'case.progress',
        'case.extension-requested',
        'case.extension-granted',
        'case.resolved',
        'case.closed',
      ]),
    );
    const resident = await h.center<TimelineEntry[]>(
      'dispatcher',
      'GET',
      `/center/v1/cases/${report.caseId}/timeline?audience=resident`,
    );
    expect(resident.body.length).toBeGreaterThan(0);
    expect(resident.body.every((e) => e.visibility.includes('resident') && !e.actorId)).toBe(true);
    expect(resident.body.map((e) => e.eventType)).not.toContain('case.extension-requested');
    const partnerView = await h.partner<PartnerTask>(property, 'GET', `/partner/v1/tasks/${leadTask.taskId}`);
    expect(JSON.stringify(partnerView.body)).not.toContain('李四');
    expect(partnerView.body.timeline!.every((e) => !e.unitId || e.unitId === property.unitId)).toBe(true);
  });

  it('reopens an unsatisfied case to the same lead unit', async () => {
    const report = makeReport();
    await h.routed(report, property);
    const task = await h.taskOf(property, report.caseId);
    await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/accept`);
    await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/resolve`, { note: '已修好' });
    await h.waitEvent(report.caseId, 'case.resolved');

    await h.resident('case.feedback-submitted', report, {
      confirmed: false,
      satisfaction: 'unsatisfied',
      comment: '还是在漏水',
    });
    const reopened = await h.waitEvent(report.caseId, 'case.reopened');
    expect(reopened.payload).toMatchObject({
      unitId: property.unitId,
      status: 'assigned',
      satisfaction: 'unsatisfied',
      taskRole: 'lead',
    });
    expect(reopened.payload.taskId).not.toBe(task.taskId);
    expect(reopened.payload.task?.reference).toBe(report.reference);
    const again = await h.taskOf(property, report.caseId, (t) => t.taskId === reopened.payload.taskId);
    expect(again.status).toBe('assigned');
    // A duplicate delivery of the same feedback changes nothing more (inbox), and a late one is ignored.
    await h.resident('case.feedback-submitted', report, { confirmed: true, satisfaction: 'satisfied' });
    const marker = makeReport();
    await h.routed(marker, property);
    await h.taskOf(property, marker.caseId);
    expect(h.events(report.caseId, 'case.closed')).toHaveLength(0);
    expect(await h.caseStatus(report.caseId)).toBe('assigned');
  });

  it('asks the resident for information (SLA paused) and resumes when intake relays the answer', async () => {
    const report = makeReport();
    await h.routed(report, property);
    const task = await h.taskOf(property, report.caseId);
    const asked = await h.center('dispatcher', 'POST', `/center/v1/cases/${report.caseId}/request-info`, {
      question: '请提供具体楼层',
    });
    expect(asked.status).toBe(200);
    const ev = await h.waitEvent(report.caseId, 'case.info-requested');
    expect(ev.payload).toMatchObject({
      residentVisible: true,
      note: '请提供具体楼层',
      actorKind: 'staff',
      actorId: 'dispatcher',
    });
    const paused = await h.center<{ tasks: { taskId: string; sla?: { paused: boolean } }[] }>(
      'admin',
      'GET',
      `/center/v1/cases/${report.caseId}`,
    );
    expect(paused.body.tasks.find((t) => t.taskId === task.taskId)!.sla?.paused).toBe(true);
    await h.resident('case.info-provided', report, { comment: '3楼302' });
    await h.waitEvent(report.caseId, 'case.info-provided');
    const resumed = await h.center<{ tasks: { taskId: string; sla?: { paused: boolean } }[] }>(
      'admin',
      'GET',
      `/center/v1/cases/${report.caseId}`,
    );
    expect(resumed.body.tasks.find((t) => t.taskId === task.taskId)!.sla?.paused).toBe(false);
    // Same Idempotency-Key with another body is refused.
    const k = { 'idempotency-key': `prog-${task.taskId}` };
    await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/accept`);
    expect(
      (await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/progress`, { note: 'a' }, k))
        .status,
    ).toBe(200);
    const reused = await h.partner(
      property,
      'POST',
      `/partner/v1/tasks/${task.taskId}/progress`,
      { note: 'b' },
      k,
    );
    expect({ status: reused.status, code: reused.body.code }).toEqual({
      status: 422,
      code: 'IDEMPOTENCY.KEY_REUSED',
    });
  });

  it('answers 409 with the allowed next steps for an illegal center command, and 400 naming the field', async () => {
    const report = makeReport();
    await h.routed(report, property);
    await h.taskOf(property, report.caseId);
    const close = await h.center('supervisor', 'POST', `/center/v1/cases/${report.caseId}/verify-close`, {});
    expect(close.status).toBe(409);
    expect(close.body.code).toBe('DISPATCH.INVALID_TRANSITION');
    expect(close.body.details?.allowed).toEqual(expect.arrayContaining(['assign', 'cancel']));
    const cancelNoReason = await h.center(
      'dispatcher',
      'POST',
      `/center/v1/cases/${report.caseId}/cancel`,
      {},
    );
    expect(cancelNoReason.status).toBe(400);
    expect(cancelNoReason.body.details?.fields?.map((f) => f.field)).toContain('reason');
    const cancelled = await h.center('dispatcher', 'POST', `/center/v1/cases/${report.caseId}/cancel`, {
      reason: '重复上报',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    await h.waitEvent(report.caseId, 'case.cancelled');
    // A routed event for a cancelled case is ignored, not dead-lettered.
    const dlq = await TopicReader.open(h.ns, Topic.CaseRouted, true);
    await h.routed(report, volunteers, [], { attempt: 2 });
    const marker = makeReport();
    await h.routed(marker, volunteers);
    await h.taskOf(volunteers, marker.caseId);
    expect(await h.caseStatus(report.caseId)).toBe('cancelled');
    expect(dlq.messages).toHaveLength(0);
    await dlq.close();
  });
});
