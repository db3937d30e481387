/**
 * Side paths of the loop through the REAL pipeline (intake, routing with the demo district,
 * dispatch, notification as real processes in one namespace; nothing injected):
 * - 退单: the building's own property company returns the task → dispatch publishes
 *   case.returned → routing routes again without it (case.routed attempt 2) → the grid's
 *   company gets the task; the first company cannot see it;
 * - 1+N: an elderly-help report in 枫林社区 is routed by the seed's rule R-120 to a volunteer
 *   team (lead) with the community committee supporting; the case is resolved only when the
 *   lead has resolved and the support task is done.
 */
import { Pipeline } from './support/pipeline-harness';

const SZL = 'U-PM-SZL';
const GHY = 'U-PM-GHY';
const VOLUNTEERS = 'U-VT-WL';
const COMMUNITY = 'U-CC-FL';

describe('through the pipeline: return → re-route, and lead + support', () => {
  let p: Pipeline;

  beforeAll(async () => {
    p = await Pipeline.start('wlreturn', { webhookUnits: [GHY] });
  }, 180_000);

  afterAll(async () => {
    await p?.stop();
  });

  it('re-routes a returned task to a different unit; the returning unit no longer sees it', async () => {
    const report = await p.report({
      description: '卫生间地漏反水,污水冒出来',
      location: { buildingCode: 'WL-GH-G2-B05' },
    });
    const first = await p.waitRouted(report.caseId, 1);
    expect(first.payload.lead.unitId).toBe(SZL);
    const task = await p.taskOf(SZL, report.caseId);

    const returned = await p.partner(SZL, 'POST', `/partner/v1/tasks/${task.taskId}/return`, {
      reason: '地漏属于户内管道，归桂花苑物业维修',
    });
    expect([returned.status, returned.body.status]).toEqual([200, 'returned']);
    const ret = await p.returned.waitForEvent((e) => e.caseId === report.caseId, 60_000, 'case.returned');
    expect(ret.payload).toMatchObject({
      unitId: SZL,
      taskId: task.taskId,
      excludedUnitIds: [SZL],
      returnCount: 1,
    });

    const second = await p.waitRouted(report.caseId, 2);
    expect(second.payload.lead.unitId).toBe(GHY);
    expect(second.payload.excludedUnitIds).toEqual([SZL]);
    const assigned = await p.waitLifecycle(report.caseId, 'case.assigned', (x) => x.unitId === GHY);
    const newTask = await p.taskOf(GHY, report.caseId);
    expect(newTask.taskId).toBe(assigned.payload.taskId);
    expect(newTask.status).toBe('assigned');
    await p.webhooks.wait(report.caseId, 'case.assigned', GHY);

    // The old unit: the new task is not its own (404), and its returned task can no longer be worked.
    const peek = await p.partner(SZL, 'GET', `/partner/v1/tasks/${newTask.taskId}`);
    expect(peek.status).toBe(404);
    const steal = await p.partner(SZL, 'POST', `/partner/v1/tasks/${newTask.taskId}/accept`);
    expect(steal.status).toBe(404);
    const late = await p.partner(SZL, 'POST', `/partner/v1/tasks/${task.taskId}/accept`);
    expect([404, 409]).toContain(late.status);

    const c = await p.waitCase(report.caseId, (x) => x.leadUnitId === GHY, 'led by GHY');
    expect(c.returnedUnitIds).toEqual([SZL]);
    expect((await p.partner(GHY, 'POST', `/partner/v1/tasks/${newTask.taskId}/accept`)).status).toBe(200);
    const view = await p.waitTracking(report, (v) => v.status === 'accepted', 'accepted by the new unit');
    expect(view.responsibleUnit).toBe('桂花苑物业服务中心');
  });

  it('assigns lead + support from the seed rule and resolves only when both are done', async () => {
    const report = await p.report({
      description: '楼上住着一位独居老人，八十多岁，腿脚不便，没法做饭，希望志愿者帮忙送餐',
      location: { buildingCode: 'WL-FL-G1-B02' },
    });
    const routed = await p.waitRouted(report.caseId);
    expect(routed.payload.lead.unitId).toBe(VOLUNTEERS);
    expect(routed.payload.support.map((u) => u.unitId)).toEqual([COMMUNITY]);
    expect(routed.payload.ruleId).toBe('R-120');

    const assigned = await p.lifecycle.waitForCount(
      (e) => e.payload?.caseId === report.caseId && e.type === 'case.assigned',
      2,
      60_000,
    );
    expect(assigned.map((e) => [e.payload.unitId, e.payload.taskRole]).sort()).toEqual([
      [COMMUNITY, 'support'],
      [VOLUNTEERS, 'lead'],
    ]);
    const lead = await p.taskOf(VOLUNTEERS, report.caseId);
    const support = await p.taskOf(COMMUNITY, report.caseId);
    expect([lead.role, support.role]).toEqual(['lead', 'support']);

    expect((await p.partner(VOLUNTEERS, 'POST', `/partner/v1/tasks/${lead.taskId}/accept`)).status).toBe(200);
    expect((await p.partner(COMMUNITY, 'POST', `/partner/v1/tasks/${support.taskId}/accept`)).status).toBe(
      200,
    );
    const leadDone = await p.partner(VOLUNTEERS, 'POST', `/partner/v1/tasks/${lead.taskId}/resolve`, {
      note: '已安排每日午餐送餐上门',
    });
    expect(leadDone.status).toBe(200);
    // Support still working: the case is not resolved and the resident is not asked for feedback.
    const mid = await p.center('admin', 'GET', `/center/v1/cases/${report.caseId}`);
    expect(mid.body.status).not.toBe('resolved');
    expect(p.lifecycleTypes(report.caseId)).not.toContain('case.resolved');

    const supportDone = await p.partner(COMMUNITY, 'POST', `/partner/v1/tasks/${support.taskId}/resolve`, {
      note: '社区已登记，纳入助餐名单',
    });
    expect(supportDone.status).toBe(200);
    await p.waitLifecycle(report.caseId, 'case.resolved');
    const view = await p.waitTracking(report, (v) => v.status === 'resolved', 'resolved');
    expect(view.awaitingFeedback).toBe(true);
    // The resident sees the lead unit as the one responsible, not the supporting one.
    expect(view.responsibleUnit).toBe(routed.payload.lead.unitName);
  });
});
