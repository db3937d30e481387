/**
 * A partner action answers with the unit's view of its task as the action left it. That answer is
 * read by the transition's own statement (the rows it wrote from its CTEs, the rest from the
 * tables), not by a query of its own, so it is checked here against the view GET /tasks/:id
 * builds from the committed rows: the same, field for field, through a case with a lead and a
 * support unit (each sees only its own and the shared timeline entries) and every kind of action.
 */
import { DispatchHarness, makeReport, PartnerTask, TestUnit } from './support/dispatch-harness';

/** The clock's standing in seconds moves between the two reads; everything else must not. */
function comparable(view: unknown): unknown {
  return JSON.parse(JSON.stringify(view), (key, value: unknown) =>
    key === 'remainingSeconds' || key === 'overdueSeconds' ? undefined : value,
  );
}

describe("a partner action's answer is the task as GET then shows it (real Postgres and Kafka)", () => {
  let h: DispatchHarness;
  let property: TestUnit;
  let water: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('partner-answer');
    property = await h.unit('property_management', '幸福小区物业');
    water = await h.unit('water_utility', '自来水公司');
  });

  afterAll(async () => {
    await h?.stop();
  });

  async function act(unit: TestUnit, taskId: string, action: string, body: unknown = {}) {
    const answer = await h.partner(unit, 'POST', `/partner/v1/tasks/${taskId}/${action}`, body);
    expect({ action, status: answer.status }).toEqual({ action, status: 200 });
    const read = await h.partner(unit, 'GET', `/partner/v1/tasks/${taskId}`);
    expect(read.status).toBe(200);
    expect(comparable(answer.body)).toEqual(comparable(read.body));
    return answer.body as PartnerTask & { timeline: { eventType: string; unitId?: string }[] };
  }

  it('matches for accept, progress, extension, resolve of a lead and a support task', async () => {
    const report = makeReport();
    await h.routed(report, property, [water]);
    const lead = await h.taskOf(property, report.caseId);
    const support = await h.taskOf(water, report.caseId);

    const accepted = await act(property, lead.taskId, 'accept');
    expect(accepted.status).toBe('accepted');
    // The entry this action wrote is in the answer, after the assignment's.
    expect(accepted.timeline.map((e) => e.eventType).slice(-1)).toEqual(['case.accepted']);

    await act(water, support.taskId, 'accept');
    const progress = await act(property, lead.taskId, 'progress', { note: '已派两名工程师到场疏通' });
    expect(progress.status).toBe('in_progress');
    const ext = await act(property, lead.taskId, 'extension', {
      reason: '需要等待配件',
      requestedDueAt: new Date(Date.now() + 3 * 86_400_000).toISOString(),
    });
    expect(ext).toHaveProperty('pendingExtension');

    const supportDone = await act(water, support.taskId, 'resolve', { note: '阀门已更换' });
    expect(supportDone.status).toBe('resolved');
    // The support unit does not see the lead unit's own entries.
    expect(supportDone.timeline.some((e) => e.unitId === property.unitId)).toBe(false);

    const done = await act(property, lead.taskId, 'resolve', { note: '管道已疏通，现场已清理' });
    expect(done.status).toBe('resolved');
    expect(done.case.status).toBe('resolved');
  });

  it('matches for a return (退单), which ends the task and sends the case back to routing', async () => {
    const report = makeReport();
    await h.routed(report, property);
    const task = await h.taskOf(property, report.caseId);
    const returned = await act(property, task.taskId, 'return', {
      reason: '不属于物业职责，应由供水公司处理',
    });
    expect(returned.status).toBe('returned');
  });
});
