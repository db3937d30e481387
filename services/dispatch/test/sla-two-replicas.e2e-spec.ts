/**
 * Two dispatch replicas on one database and one set of topics: both scan for due SLA timers
 * (FOR UPDATE SKIP LOCKED on the case rows); every warning, breach and escalation of every task
 * fires exactly once, on time, and the replicas' own counters add up to exactly that.
 */
import { ServiceProcess, spawnService } from '@app/testing';
import { DispatchHarness, makeReport, metricValue as metric, TestUnit } from './support/dispatch-harness';
import {
  assertFiredOnceOnTime,
  expectedFirings,
  fastPolicy,
  settled,
  slaEvents,
} from './support/sla-fixtures';

describe('SLA timers with two dispatch replicas', () => {
  let h: DispatchHarness;
  let second: ServiceProcess | undefined;
  let property: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('sla2rep');
    second = await spawnService('dispatch', { ...h.ns.env, SEED_DEMO_STAFF: 'true' });
    property = await h.unit('property_management', '幸福小区物业');
  });

  afterAll(async () => {
    await second?.kill('SIGTERM').catch(() => undefined);
    await h?.stop();
  });

  it('fires each timer of each task exactly once, on time', async () => {
    const policy = fastPolicy(3, 6);
    const reports = Array.from({ length: 6 }, () => makeReport());
    for (const r of reports) await h.routed(r, property, [], { slaPolicy: policy });
    const t0 = new Map<string, number>();
    for (const r of reports)
      t0.set(r.caseId, new Date((await h.waitEvent(r.caseId, 'case.assigned')).payload.at).getTime());
    for (const r of reports) await settled(h, r.caseId, 30_000);

    for (const r of reports) {
      const expected = expectedFirings(t0.get(r.caseId)!, policy);
      assertFiredOnceOnTime(slaEvents(h, r.caseId), expected);
      expect(slaEvents(h, r.caseId).filter((e) => e.type === 'case.supervision-flagged')).toHaveLength(1);
      expect(slaEvents(h, r.caseId)).toHaveLength(expected.length + 1);
    }
    const breaches =
      (await metric(h.url, 'sla_breaches_total')) + (await metric(second!.url, 'sla_breaches_total'));
    const escalations =
      (await metric(h.url, 'sla_escalations_total')) + (await metric(second!.url, 'sla_escalations_total'));
    expect(breaches).toBe(reports.length * 2);
    expect(escalations).toBe(reports.length * 5);
  });
});
