/**
 * Auto-close after silence through the REAL pipeline: dispatch runs with a 3-second silence
 * (AUTO_CLOSE_AFTER_SECONDS=3); a report posted at intake is routed by routing, resolved by the
 * property company through the partner API, and — the resident never answering — closed by
 * dispatch (auto_closed); intake's tracking view shows it closed and no longer asks for feedback.
 */
import { Pipeline } from './support/pipeline-harness';

const GHY = 'U-PM-GHY';

describe('through the pipeline: auto-close after the resident stays silent', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await Pipeline.start('wlautoclose', {
      dispatchEnv: { AUTO_CLOSE_AFTER_SECONDS: '3', AUTO_CLOSE_SWEEP_MS: '500' },
    });
  }, 180_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('closes a resolved case as auto_closed and the resident sees it closed', async () => {
    const report = await p.report({
      description: '楼下下水道堵了，污水流进家里',
      location: { buildingCode: 'WL-GH-G1-B01' },
    });
    const assigned = await p.waitLifecycle(report.caseId, 'case.assigned');
    expect(assigned.payload.unitId).toBe(GHY);
    const taskId = assigned.payload.taskId!;
    expect((await p.partner(GHY, 'POST', `/partner/v1/tasks/${taskId}/accept`)).status).toBe(200);
    const resolved = await p.partner(GHY, 'POST', `/partner/v1/tasks/${taskId}/resolve`, { note: '已疏通' });
    expect(resolved.status).toBe(200);
    const resolvedAt = Date.parse((await p.waitLifecycle(report.caseId, 'case.resolved')).payload.at);

    const closed = await p.waitLifecycle(report.caseId, 'case.closed');
    expect(closed.payload).toMatchObject({ closedHow: 'auto_closed', status: 'closed' });
    expect(closed.payload.satisfaction).toBeUndefined();
    expect(Date.parse(closed.payload.at) - resolvedAt).toBeGreaterThanOrEqual(3000);

    const c = await p.waitCase(report.caseId, (x) => x.status === 'closed', 'closed');
    expect(c.closedHow).toBe('auto_closed');
    const view = await p.waitTracking(report, (v) => v.status === 'closed', 'closed');
    expect(view.awaitingFeedback).toBe(false);
    expect(view.timeline.map((e) => e.type)).toEqual(
      expect.arrayContaining(['case.resolved', 'case.closed']),
    );
    // Late feedback after the auto-close is refused at intake (the case no longer awaits it).
    const late = await p.feedback(report, { confirmed: true, satisfaction: 'satisfied' });
    expect(late.status).toBe(409);
  });
});
