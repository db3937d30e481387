/**
 * Durable deadlines: dispatch is killed (SIGKILL) between a task's warning and its breach and
 * started again. Timers that came due while it was down fire right after the restart (within 2 s
 * of ready), later ones on time; each exactly once, nothing lost, nothing repeated.
 */
import { spawnService } from '@app/testing';
import { DispatchHarness, makeReport, TestUnit } from './support/dispatch-harness';
import {
  assertFiredOnceOnTime,
  expectedFirings,
  fastPolicy,
  settled,
  slaEvents,
} from './support/sla-fixtures';

describe('SLA timers across a SIGKILL and restart', () => {
  let h: DispatchHarness;
  let property: TestUnit;

  beforeAll(async () => {
    h = await DispatchHarness.start('slakill');
    property = await h.unit('property_management', '幸福小区物业');
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('fires every warning, breach and escalation once, on time or right after the restart', async () => {
    const fast = fastPolicy(3, 6); // due while dispatch is down
    const slow = fastPolicy(14, 18); // due after it is back
    const a = makeReport();
    const b = makeReport();
    await h.routed(a, property, [], { slaPolicy: fast });
    await h.routed(b, property, [], { slaPolicy: slow });
    const ta = new Date((await h.waitEvent(a.caseId, 'case.assigned')).payload.at).getTime();
    const tb = new Date((await h.waitEvent(b.caseId, 'case.assigned')).payload.at).getTime();

    await h.waitEvent(a.caseId, 'case.sla-warning', (p) => p.deadline === 'accept', 10_000);
    await h.dispatch.kill('SIGKILL');
    const killedAt = Date.now();
    expect(killedAt).toBeLessThan(ta + 3000); // between the warning and the breach
    h.dispatch = await spawnService('dispatch', { ...h.ns.env, SEED_DEMO_STAFF: 'true' });
    const readyAt = Date.now();

    const ea = expectedFirings(ta, fast);
    const eb = expectedFirings(tb, slow);
    await settled(h, a.caseId, 30_000);
    await settled(h, b.caseId, 30_000);
    // Due while down: within 2 s of the restart; otherwise within 2 s of the moment.
    const notBefore = (x: { at: number }) => (x.at > killedAt && x.at < readyAt ? readyAt : 0);
    assertFiredOnceOnTime(slaEvents(h, a.caseId), ea, 2000, notBefore);
    assertFiredOnceOnTime(slaEvents(h, b.caseId), eb, 2000, notBefore);
    for (const c of [a, b]) {
      expect(slaEvents(h, c.caseId).filter((e) => e.type === 'case.supervision-flagged')).toHaveLength(1);
      expect(slaEvents(h, c.caseId)).toHaveLength(ea.length + 1);
    }
  });
});
