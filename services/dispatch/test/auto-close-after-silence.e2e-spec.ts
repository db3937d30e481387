/**
 * A resolved case the resident does not answer is closed by the sweep after
 * AUTO_CLOSE_AFTER_SECONDS (here 2 s), recorded as auto_closed; feedback arriving afterwards is
 * ignored (logged, not dead-lettered) and stored as such.
 */
import { Topic } from '@app/contracts';
import { TopicReader } from '@app/testing';
import { DispatchHarness, makeReport, TestUnit, TimelineEntry } from './support/dispatch-harness';

describe('auto-close after silence', () => {
  let h: DispatchHarness;
  let property: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('dspauto', { AUTO_CLOSE_AFTER_SECONDS: '2', AUTO_CLOSE_SWEEP_MS: '200' });
    property = await h.unit('property_management', '幸福小区物业');
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('closes a resolved case without feedback as auto_closed, once', async () => {
    const report = makeReport();
    await h.routed(report, property);
    const task = await h.taskOf(property, report.caseId);
    await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/accept`);
    const resolvedAt = Date.now();
    const res = await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/resolve`, {
      note: '已处理',
    });
    expect(res.status).toBe(200);
    const view = await h.center<{ autoCloseAt: string }>('admin', 'GET', `/center/v1/cases/${report.caseId}`);
    expect(new Date(view.body.autoCloseAt).getTime()).toBeGreaterThanOrEqual(resolvedAt + 1500);

    const closed = await h.waitEvent(report.caseId, 'case.closed', () => true, 20_000);
    expect(closed.payload).toMatchObject({ closedHow: 'auto_closed', actorKind: 'system', status: 'closed' });
    expect(new Date(closed.payload.at).getTime()).toBeGreaterThanOrEqual(resolvedAt + 1900);

    const dlq = await TopicReader.open(h.ns, Topic.CaseResident, true);
    await h.resident('case.feedback-submitted', report, { confirmed: true, satisfaction: 'satisfied' });
    // Another case passing through proves the late feedback was consumed.
    const marker = makeReport();
    await h.routed(marker, property);
    await h.taskOf(property, marker.caseId);
    const timeline = await h.center<TimelineEntry[]>(
      'admin',
      'GET',
      `/center/v1/cases/${report.caseId}/timeline`,
    );
    expect(timeline.body.filter((e) => e.eventType === 'case.closed')).toHaveLength(1);
    expect(h.events(report.caseId, 'case.closed')).toHaveLength(1);
    expect(dlq.messages).toHaveLength(0);
    await dlq.close();
  });
});
