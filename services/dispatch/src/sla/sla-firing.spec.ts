import type { SlaPolicyDto } from '@app/contracts';
import { markAccepted, pauseSla, startSla } from '../domain';
import { firingNote, lifecycleTypeOf, planFiring } from './sla-firing';

const policy: SlaPolicyDto = {
  policyId: 'fast',
  acceptWithinSeconds: 3,
  resolveWithinSeconds: 6,
  warnAtFraction: 0.5,
  calendar: { kind: '24x7' },
  escalation: [
    { on: 'accept', afterSeconds: 1, action: 'remind_unit' },
    { on: 'accept', afterSeconds: 2, action: 'flag_supervision' },
    { on: 'resolve', afterSeconds: 1, action: 'notify_supervisor' },
  ],
};
const t0 = new Date('2026-03-02T01:00:00.000Z');
const at = (s: number) => new Date(t0.getTime() + s * 1000);

describe('planFiring', () => {
  it('fires nothing before the first timer and names it as next', () => {
    const p = planFiring(startSla(t0, policy), at(1));
    expect(p.fired).toHaveLength(0);
    expect(p.next).toMatchObject({ kind: 'warning', deadline: 'accept', dueAt: at(1.5) });
  });

  it('fires each due timer once, in order, and moves on', () => {
    let s = startSla(t0, policy);
    const seen: string[] = [];
    for (const sec of [1.6, 1.7, 3, 3.2, 4, 5, 6, 7, 8, 9]) {
      const p = planFiring(s, at(sec));
      s = p.state;
      for (const f of p.fired)
        seen.push(`${lifecycleTypeOf(f.timer)}:${f.timer.deadline}:${f.timer.step ?? ''}`);
    }
    expect(seen).toEqual([
      'case.sla-warning:accept:',
      'case.sla-warning:resolve:', // due at 3 s, with the accept breach: warnings first
      'case.sla-breached:accept:',
      'case.escalated:accept:0',
      'case.escalated:accept:1',
      'case.sla-breached:resolve:',
      'case.escalated:resolve:2',
    ]);
    expect(planFiring(s, at(100)).fired).toHaveLength(0);
    expect(planFiring(s, at(100)).next).toBeUndefined();
  });

  it('catches up after downtime: everything overdue fires at once, lateness against the deadline', () => {
    const p = planFiring(startSla(t0, policy), at(10));
    expect(p.fired.map((f) => f.timer.kind)).toEqual([
      'warning',
      'warning',
      'breach',
      'escalation',
      'escalation',
      'breach',
      'escalation',
    ]);
    const breach = p.fired.find((f) => f.timer.kind === 'breach' && f.timer.deadline === 'accept')!;
    expect(breach.lateBySeconds).toBe(7);
    expect(breach.deadlineDueAt).toEqual(at(3));
    expect(breach.lagSeconds).toBe(7);
    expect(firingNote(breach)).toContain('签收时限');
  });

  it('a warning reports the seconds left as negative lateness', () => {
    const p = planFiring(startSla(t0, policy), at(1.5));
    expect(p.fired).toHaveLength(1);
    expect(p.fired[0].lateBySeconds).toBe(-2);
  });

  it('nothing fires while paused or after the deadline is met', () => {
    expect(planFiring(pauseSla(startSla(t0, policy), at(1)), at(20)).fired).toHaveLength(0);
    const accepted = markAccepted(startSla(t0, policy), at(1));
    expect(planFiring(accepted, at(20)).fired.every((f) => f.timer.deadline === 'resolve')).toBe(true);
  });
});
