/**
 * A new case routed to a lead unit is created already assigned by one statement: the case row,
 * its task, clock, timeline entry, outbox row, ops rows and the event's inbox row. That statement
 * writes nothing but the inbox row when the case exists; then the case takes the path of an
 * existing case (routing's answer projected, the case locked, the transition applied). Both ways,
 * and a second delivery of the same event, against real Postgres and Kafka.
 */
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from '@app/testing';
import { DispatchHarness, makeReport, metricValue, TestUnit } from './support/dispatch-harness';

describe('a routed case created assigned in one statement (real Postgres and Kafka)', () => {
  let h: DispatchHarness;
  let db: Client;
  let property: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('created-assigned');
    db = new Client({ connectionString: h.ns.databaseUrl });
    await db.connect();
    property = await h.unit('property_management', '幸福小区物业');
  });

  afterAll(async () => {
    await db?.end();
    await h?.stop();
  });

  async function rows(caseId: string) {
    const q = async (sql: string) => (await db.query(sql, [caseId])).rows as Record<string, unknown>[];
    return {
      case: (
        await q(`SELECT status, priority, category_code, lead_unit_id, version, routing_attempt,
                        sla_policy IS NOT NULL AS has_policy, triage_reason, auto_close_at, state->>'status' AS state_status
                   FROM dispatch.cases WHERE case_id = $1`)
      )[0],
      tasks: await q(
        `SELECT unit_id, role, status, accept_by IS NOT NULL AS has_due FROM dispatch.tasks WHERE case_id = $1`,
      ),
      clocks: await q(
        `SELECT policy_id, next_timer_at IS NOT NULL AS armed FROM dispatch.task_sla WHERE case_id = $1`,
      ),
      timeline: (await q(`SELECT event_type FROM dispatch.timeline WHERE case_id = $1 ORDER BY id`)).map(
        (r) => r.event_type,
      ),
      outbox: (
        await q(`SELECT event_type FROM dispatch.outbox WHERE envelope->>'caseId' = $1::text ORDER BY id`)
      ).map((r) => r.event_type),
      ops: (
        await q(`SELECT status, lead_unit_id, lead_unit_name, routed_at IS NOT NULL AS routed,
                        assigned_at IS NOT NULL AS assigned, triage, hotspot_day IS NOT NULL AS counted
                   FROM dispatch.ops_cases WHERE case_id = $1`)
      )[0],
      opsEvents: (
        await q(`SELECT type FROM dispatch.ops_case_events WHERE case_id = $1 ORDER BY at, type`)
      ).map((r) => r.type),
      opsTasks: await q(
        `SELECT unit_id, role, assigned_at IS NOT NULL AS assigned FROM dispatch.ops_tasks WHERE case_id = $1`,
      ),
      text: await q(`SELECT reference, description FROM dispatch.case_text WHERE case_id = $1`),
    };
  }

  it('writes the whole assignment once, and a second delivery of the event adds nothing', async () => {
    const report = makeReport();
    const eventId = await h.routed(report, property);
    await h.waitEvent(report.caseId, 'case.assigned');
    await h.waitConsumed(eventId);
    const first = await rows(report.caseId);
    expect(first).toEqual({
      case: {
        status: 'assigned',
        priority: 'normal',
        category_code: 'drain_blocked',
        lead_unit_id: property.unitId,
        version: 2,
        routing_attempt: 1,
        has_policy: true,
        triage_reason: null,
        auto_close_at: null,
        state_status: 'assigned',
      },
      tasks: [{ unit_id: property.unitId, role: 'lead', status: 'assigned', has_due: true }],
      clocks: [{ policy_id: expect.any(String), armed: true }],
      timeline: ['case.assigned'],
      outbox: ['case.assigned'],
      ops: {
        status: 'assigned',
        lead_unit_id: property.unitId,
        lead_unit_name: property.name,
        routed: true,
        assigned: true,
        triage: false,
        counted: true,
      },
      opsEvents: ['case.routed', 'case.assigned'],
      opsTasks: [{ unit_id: property.unitId, role: 'lead', assigned: true }],
      text: [{ reference: report.reference, description: report.description }],
    });
    const task = await h.taskOf(property, report.caseId);
    expect(task.status).toBe('assigned');

    // The same event again: the inbox knows it (counted a duplicate); nothing is written twice.
    const duplicates = () => metricValue(h.url, 'events_consumed_total', { outcome: 'duplicate' });
    const before = await duplicates();
    await h.routed(report, property, [], {}, eventId);
    await waitFor(async () => (await duplicates()) > before, { what: 'the second delivery to be seen' });
    expect(await rows(report.caseId)).toEqual(first);
    expect(h.events(report.caseId, 'case.assigned')).toHaveLength(1);
  });

  it('routes a case that exists (returned by its unit) the way of an existing case', async () => {
    const water = await h.unit('water_utility', '自来水公司');
    const report = makeReport();
    await h.routed(report, property);
    const task = await h.taskOf(property, report.caseId);
    const ret = await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/return`, {
      reason: '市政供水管道，不属于物业',
    });
    expect(ret.status).toBe(200);
    // Routing's second answer finds the case: the statement that would create it writes only the
    // inbox row, and the case is routed again by lock and transition.
    const eventId = await h.routed(report, water, [], { attempt: 2, excludedUnitIds: [property.unitId] });
    await h.waitConsumed(eventId);
    const after = await rows(report.caseId);
    expect(after.case).toMatchObject({ status: 'assigned', routing_attempt: 2, lead_unit_id: water.unitId });
    expect(after.timeline).toEqual(['case.assigned', 'case.returned', 'case.assigned']);
    expect(after.outbox).toEqual(['case.assigned', 'case.returned', 'case.returned', 'case.assigned']);
    expect(after.tasks.map((t) => [t.unit_id, t.status])).toEqual([
      [property.unitId, 'returned'],
      [water.unitId, 'assigned'],
    ]);
    expect(after.opsEvents).toEqual([
      'case.routed',
      'case.assigned',
      'case.returned',
      'case.routed',
      'case.assigned',
    ]);
    expect(after.ops).toMatchObject({
      status: 'assigned',
      lead_unit_id: water.unitId,
      lead_unit_name: water.name,
    });
  });

  it("takes a chunk's routed events side by side, each case's events in order, and writes each case once", async () => {
    const power = await h.unit('power_utility', '供电所');
    const lanes = () =>
      metricValue(h.url, 'consumer_chunk_events_sum', { consumer: 'case-routing', by: 'key-lanes' });
    const duplicates = () => metricValue(h.url, 'events_consumed_total', { outcome: 'duplicate' });
    const [lanesBefore, duplicatesBefore] = [await lanes(), await duplicates()];
    const fresh = Array.from({ length: 5 }, () => makeReport());
    const withSupport = makeReport();
    const twice = makeReport();
    const firstId = randomUUID();
    // One produce request, one partition: one chunk for the consumer. `twice` is routed to the
    // property company with the power utility's support (attempt 1: two lifecycle events, so the
    // transaction path, several round trips), then to the power utility alone (attempt 2: the one
    // statement path). In partition order the second answer finds the case assigned and is
    // ignored as stale; were the two run side by side, the quick second would create the case.
    const ids = await h.routedTogether([
      { report: fresh[0], lead: property, eventId: firstId },
      { report: twice, lead: property, support: [power] },
      { report: fresh[1], lead: property },
      { report: withSupport, lead: property, support: [power] },
      { report: fresh[2], lead: property },
      { report: fresh[0], lead: property, eventId: firstId },
      { report: twice, lead: power, extra: { attempt: 2 } },
      { report: fresh[3], lead: property },
      { report: fresh[4], lead: property },
    ]);
    for (const id of new Set(ids)) await h.waitConsumed(id);
    await waitFor(async () => (await duplicates()) > duplicatesBefore, {
      what: 'the repeated event to be seen',
    });

    for (const report of fresh) {
      const r = await rows(report.caseId);
      expect(r.case).toMatchObject({ status: 'assigned', lead_unit_id: property.unitId, version: 2 });
      expect(r.tasks).toEqual([
        { unit_id: property.unitId, role: 'lead', status: 'assigned', has_due: true },
      ]);
      expect(r.timeline).toEqual(['case.assigned']);
      expect(r.outbox).toEqual(['case.assigned']);
      expect(r.opsEvents).toEqual(['case.routed', 'case.assigned']);
    }
    const supported = await rows(withSupport.caseId);
    expect(supported.tasks.map((t) => [t.unit_id, t.role]).sort()).toEqual(
      [
        [power.unitId, 'support'],
        [property.unitId, 'lead'],
      ].sort(),
    );
    const ordered = await rows(twice.caseId);
    expect(ordered.case).toMatchObject({ lead_unit_id: property.unitId, routing_attempt: 1 });
    expect(ordered.tasks.map((t) => [t.unit_id, t.role]).sort()).toEqual(
      supported.tasks.map((t) => [t.unit_id, t.role]).sort(),
    );
    expect(await duplicates()).toBe(duplicatesBefore + 1);
    // The runner took them by key lanes (a chunk of more than one event), not in one transaction.
    expect((await lanes()) - lanesBefore).toBeGreaterThanOrEqual(2);
  });
  it('finds a new case by its text, whichever statement created it (case_text, written once with the case)', async () => {
    const word = `铁皮房${randomUUID().slice(0, 8)}`;
    // Created assigned in one statement (insertAssigned), then moved on by a transition.
    const routed = makeReport({ description: `${word} 旁边的下水道堵了` });
    await h.routed(routed, property);
    await h.waitEvent(routed.caseId, 'case.assigned');
    const task = await h.taskOf(property, routed.caseId);
    expect((await h.partner(property, 'POST', `/partner/v1/tasks/${task.taskId}/accept`, {})).status).toBe(
      200,
    );
    // Created awaiting triage (createOrLock), found by its reference too.
    const triaged = makeReport({ description: `${word} 夜里有人在拆` });
    await h.triageRequired(triaged);
    await h.waitStatus(triaged.caseId, 'triage');
    const other = makeReport();
    await h.routed(other, property);
    await h.waitEvent(other.caseId, 'case.assigned');

    const search = async (q: string) => {
      const r = await h.center<{ items: { caseId: string }[] }>(
        'dispatcher',
        'GET',
        `/center/v1/cases?q=${encodeURIComponent(q)}`,
      );
      expect(r.status).toBe(200);
      return r.body.items.map((i) => i.caseId).sort();
    };
    expect(await search(word)).toEqual([routed.caseId, triaged.caseId].sort());
    expect(await search(triaged.reference)).toEqual([triaged.caseId]);
    expect((await rows(routed.caseId)).text).toHaveLength(1);
  });
});
