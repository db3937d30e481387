/**
 * 退单 and re-routing: a lead unit returns its task → case.returned (lifecycle) and
 * case.returned.v1 for routing with the excluded units → routing's next case.routed (attempt 2)
 * creates the lead task at another unit; a stale routed (attempt 1) is ignored. Triage: a case
 * routing could not place waits in the center's queue until a dispatcher assigns it.
 */
import { DispatchHarness, makeReport, TestUnit } from './support/dispatch-harness';

describe('return → re-route → other unit, and triage → manual assignment', () => {
  let h: DispatchHarness;
  let property: TestUnit;
  let water: TestUnit;
  let city: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('dspret');
    [property, water, city] = await Promise.all([
      h.unit('property_management', '幸福小区物业'),
      h.unit('water_utility', '市供水公司'),
      h.unit('city_management', '街道城管'),
    ]);
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('returns the task, asks routing again without that unit, and assigns the re-routed lead', async () => {
    const report = makeReport({ description: '街上水管爆了，一早上没水' });
    await h.routed(report, property, [city]);
    const task = await h.taskOf(property, report.caseId);
    const supportTask = await h.taskOf(city, report.caseId);

    const noReason = await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/return`, {});
    expect(noReason.status).toBe(400);
    const ret = await h.partner(
      property,
      'POST',
      `/partner/v1/tasks/${task.taskId}/return`,
      { reason: '市政供水管道，不属于物业' },
      { 'idempotency-key': `ret-${task.taskId}` },
    );
    expect(ret.status).toBe(200);
    expect(ret.body.status).toBe('returned');

    const lifecycle = await h.waitEvent(report.caseId, 'case.returned');
    expect(lifecycle.payload).toMatchObject({
      status: 'reported',
      unitId: property.unitId,
      note: '市政供水管道，不属于物业',
    });
    const forRouting = await h.returned.waitForEvent((e) => e.payload.report.caseId === report.caseId);
    expect(forRouting.key).toBe(report.caseId);
    expect(forRouting.payload).toMatchObject({
      taskId: task.taskId,
      unitId: property.unitId,
      excludedUnitIds: [property.unitId],
      returnCount: 1,
      categoryCode: 'drain_blocked',
    });
    expect(forRouting.payload.report.reference).toBe(report.reference);
    // The support task was released with the lead's return; the re-routing decides again.
    const released = await h.partner(city, 'GET', `/partner/v1/tasks/${supportTask.taskId}`);
    expect(released.body.status).toBe('released');

    // A stale decision (attempt 1 again) is ignored; attempt 2 to the water company applies.
    await h.routed(report, city, [], { attempt: 1 });
    await h.routed(report, water, [], { attempt: 2, excludedUnitIds: [property.unitId] });
    const newTask = await h.taskOf(water, report.caseId);
    expect(newTask.status).toBe('assigned');
    // The task is visible over HTTP at commit; its event reaches the topic through the relay just after.
    await h.lifecycle.waitForCount((e) => e.caseId === report.caseId && e.type === 'case.assigned', 3);
    const assigned = h.events(report.caseId, 'case.assigned');
    expect(assigned.map((e) => e.payload.unitId)).toEqual([property.unitId, city.unitId, water.unitId]);
    const view = await h.center('dispatcher', 'GET', `/center/v1/cases/${report.caseId}`);
    expect(view.body).toMatchObject({
      status: 'assigned',
      leadUnitId: water.unitId,
      returnedUnitIds: [property.unitId],
    });
    // The returned task stays the property company's to read, and it can do nothing more with it.
    const again = await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/accept`);
    expect(again.status).toBe(404);
  });

  it('puts a case routing could not place in the triage queue; a dispatcher assigns it by hand, then reassigns', async () => {
    const report = makeReport({ description: '小区里有人私搭铁皮房，还占了消防通道' });
    await h.triageRequired(report, { reason: 'LOW_CONFIDENCE', priority: 'high' });
    await h.waitEvent(report.caseId, 'case.triaged');
    const queue = await h.center<{ items: { caseId: string; triageReason?: string }[]; total: number }>(
      'dispatcher',
      'GET',
      '/center/v1/triage',
    );
    expect(queue.status).toBe(200);
    expect(queue.body.items.find((c) => c.caseId === report.caseId)).toMatchObject({
      triageReason: 'LOW_CONFIDENCE',
    });

    const unknown = await h.center('dispatcher', 'POST', `/center/v1/cases/${report.caseId}/assign`, {
      leadUnitId: 'no-such-unit',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details?.fields?.[0].field).toBe('leadUnitId');
    const assigned = await h.center('dispatcher', 'POST', `/center/v1/cases/${report.caseId}/assign`, {
      leadUnitId: property.unitId,
      reason: '先由物业核实',
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body.status).toBe('assigned');
    const first = await h.taskOf(property, report.caseId);
    expect(first.acceptBy).toBeDefined();

    const reassigned = await h.center('dispatcher', 'POST', `/center/v1/cases/${report.caseId}/reassign`, {
      leadUnitId: city.unitId,
      reason: '违建归城管',
    });
    expect(reassigned.status).toBe(200);
    expect(reassigned.body.leadUnitId).toBe(city.unitId);
    await h.taskOf(city, report.caseId);
    const old = await h.partner(property, 'GET', `/partner/v1/tasks/${first.taskId}`);
    expect(old.body.status).toBe('released');
    const ev = await h.waitEvent(report.caseId, 'case.assigned', (p) => p.unitId === city.unitId);
    expect(ev.payload.actorKind).toBe('staff');

    const after = await h.center<{ items: { caseId: string }[] }>('dispatcher', 'GET', '/center/v1/triage');
    expect(after.body.items.find((c) => c.caseId === report.caseId)).toBeUndefined();

    // Search finds it by text, unit, area and status.
    const found = await h.center<{ items: { caseId: string }[] }>(
      'dispatcher',
      'GET',
      `/center/v1/cases?q=${encodeURIComponent('铁皮房')}&unitId=${city.unitId}&areaCode=G-04&status=assigned,accepted&priority=high`,
    );
    expect(found.body.items.map((c) => c.caseId)).toEqual([report.caseId]);
  });

  it('merges a duplicate into the open case and flags the survivor for supervision', async () => {
    const a = makeReport({ description: '路灯不亮' });
    const b = makeReport({ description: '路灯坏了好几天' });
    await h.routed(a, property);
    await h.routed(b, property);
    await h.taskOf(property, a.caseId);
    const bTask = await h.taskOf(property, b.caseId);
    const merged = await h.center('dispatcher', 'POST', `/center/v1/cases/${b.caseId}/merge`, {
      intoCaseId: a.caseId,
      reason: '同一路灯',
    });
    expect(merged.status).toBe(200);
    expect(merged.body).toMatchObject({ status: 'merged', mergedInto: a.caseId });
    const ev = await h.waitEvent(b.caseId, 'case.merged');
    expect(ev.payload).toMatchObject({ mergedInto: a.caseId, mergedIntoReference: a.reference });
    expect((await h.partner(property, 'GET', `/partner/v1/tasks/${bTask.taskId}`)).body.status).toBe(
      'cancelled',
    );

    expect(
      (await h.center('dispatcher', 'POST', `/center/v1/cases/${a.caseId}/supervision`, {})).status,
    ).toBe(403);
    const flagged = await h.center('supervisor', 'POST', `/center/v1/cases/${a.caseId}/supervision`, {
      reason: '群众多次反映',
    });
    expect(flagged.status).toBe(200);
    expect(flagged.body.supervisionFlagged).toBe(true);
    await h.waitEvent(a.caseId, 'case.supervision-flagged');
  });
});
