import { DomainError } from '@app/contracts';
import fc from 'fast-check';
import { SlaCalendar } from './sla-calendar';
import {
  computeDeadlines,
  dueTimers,
  grantExtension,
  markAccepted,
  markResolved,
  pauseSla,
  reassignSla,
  recordFired,
  reopenSla,
  resumeSla,
  SlaPolicy,
  SlaState,
  SlaTimer,
  slaView,
  startSla,
} from './sla-clock';

const H = 3600;
const sh = (local: string): Date => new Date(`${local.replace(' ', 'T')}:00+08:00`);

const CN: SlaCalendar = {
  kind: 'working',
  timezone: 'Asia/Shanghai',
  holidays: [
    '2026-10-01',
    '2026-10-02',
    '2026-10-03',
    '2026-10-04',
    '2026-10-05',
    '2026-10-06',
    '2026-10-07',
  ],
  workdays: ['2026-10-10'],
};
/** Sign within 2 working hours, resolve within 3 working days (27h), warn at 75%. */
const policy: SlaPolicy = {
  policyId: 'normal-3d',
  acceptWithinSeconds: 2 * H,
  resolveWithinSeconds: 27 * H,
  warnAtFraction: 0.75,
  calendar: CN,
  escalation: [
    { on: 'accept', afterSeconds: 0, action: 'remind_unit' },
    { on: 'resolve', afterSeconds: 0, action: 'remind_unit' },
    { on: 'resolve', afterSeconds: 4 * H, action: 'notify_supervisor' },
    { on: 'resolve', afterSeconds: 9 * H, action: 'flag_supervision' },
  ],
};
const urgent24x7: SlaPolicy = {
  policyId: 'urgent',
  acceptWithinSeconds: 15 * 60,
  resolveWithinSeconds: 4 * H,
  warnAtFraction: 0.5,
  calendar: { kind: '24x7' },
  escalation: [{ on: 'accept', afterSeconds: 600, action: 'notify_supervisor' }],
};

/** Timers as [kind/deadline/step, local time] for readable assertions. */
const timeline = (s: SlaState): string[] =>
  dueTimers(s).map(
    (t) =>
      `${t.kind}:${t.deadline}${t.step === undefined ? '' : `#${t.step}:${t.action}`} @ ${t.dueAt.toISOString()}`,
  );
const at = (d: Date): string => d.toISOString();
const fire = (
  s: SlaState,
  kind: SlaTimer['kind'],
  deadline: SlaTimer['deadline'],
  now: Date,
  step?: number,
) => recordFired(s, { kind, deadline, ...(step === undefined ? {} : { step }), dueAt: now }, now);

describe('computeDeadlines', () => {
  it('counts both clocks from assignment in working time', () => {
    expect(computeDeadlines(sh('2026-11-23 10:00'), policy)).toEqual({
      acceptBy: sh('2026-11-23 12:00'),
      acceptWarnAt: sh('2026-11-23 11:30'),
      // Mon 8h + Tue 9h + Wed 9h + Thu 1h
      resolveBy: sh('2026-11-26 10:00'),
      // 75% of 27h = 20h15m: Mon 8h + Tue 9h + Wed 3h15m
      resolveWarnAt: sh('2026-11-25 12:15'),
    });
  });
  it('starts an assignment made outside working hours at the next opening', () => {
    const d = computeDeadlines(sh('2026-11-27 19:30'), policy);
    expect(d.acceptBy).toEqual(sh('2026-11-30 11:00'));
    expect(d.resolveBy).toEqual(sh('2026-12-02 18:00'));
  });
  it('skips the National Day holiday', () => {
    const d = computeDeadlines(sh('2026-09-30 17:00'), policy);
    expect(d.acceptBy).toEqual(sh('2026-10-08 10:00'));
    // 09-30 1h, 10-08 9h, 10-09 9h, 10-10 (adjusted Saturday) 8h → 17:00
    expect(d.resolveBy).toEqual(sh('2026-10-10 17:00'));
  });
  it('counts elapsed time for a 24x7 policy', () => {
    expect(computeDeadlines(new Date('2026-11-28T15:00:00Z'), urgent24x7)).toEqual({
      acceptBy: new Date('2026-11-28T15:15:00Z'),
      acceptWarnAt: new Date('2026-11-28T15:07:30Z'),
      resolveBy: new Date('2026-11-28T19:00:00Z'),
      resolveWarnAt: new Date('2026-11-28T17:00:00Z'),
    });
  });
  it('refuses a policy whose calendar is unusable', () => {
    expect(() =>
      startSla(sh('2026-11-23 10:00'), {
        ...policy,
        calendar: { kind: 'working', timezone: 'Nowhere/Else' },
      }),
    ).toThrow(DomainError);
  });
});

describe('dueTimers and recordFired', () => {
  const start = startSla(sh('2026-11-23 10:00'), policy);

  it('lists warning, breach and escalation steps of both deadlines, earliest first', () => {
    expect(timeline(start)).toEqual([
      `warning:accept @ ${at(sh('2026-11-23 11:30'))}`,
      `breach:accept @ ${at(sh('2026-11-23 12:00'))}`,
      `escalation:accept#0:remind_unit @ ${at(sh('2026-11-23 12:00'))}`,
      `warning:resolve @ ${at(sh('2026-11-25 12:15'))}`,
      `breach:resolve @ ${at(sh('2026-11-26 10:00'))}`,
      `escalation:resolve#1:remind_unit @ ${at(sh('2026-11-26 10:00'))}`,
      `escalation:resolve#2:notify_supervisor @ ${at(sh('2026-11-26 14:00'))}`,
      // 9 working hours after Thu 10:00 → Fri 10:00
      `escalation:resolve#3:flag_supervision @ ${at(sh('2026-11-27 10:00'))}`,
    ]);
  });

  it('moves on as timers fire; a breach silences a warning that did not fire', () => {
    let s = fire(start, 'breach', 'accept', sh('2026-11-23 12:00'));
    expect(timeline(s).slice(0, 2)).toEqual([
      `escalation:accept#0:remind_unit @ ${at(sh('2026-11-23 12:00'))}`,
      `warning:resolve @ ${at(sh('2026-11-25 12:15'))}`,
    ]);
    s = fire(s, 'escalation', 'accept', sh('2026-11-23 12:00'), 0);
    expect(dueTimers(s)[0]).toMatchObject({ kind: 'warning', deadline: 'resolve' });
    expect(s.accept).toMatchObject({ breachedAt: sh('2026-11-23 12:00'), escalatedSteps: [0] });
    expect(fire(s, 'escalation', 'accept', sh('2026-11-23 12:05'), 0)).toBe(s);
    expect(fire(s, 'breach', 'accept', sh('2026-11-23 12:05'))).toBe(s);
    expect(
      recordFired(
        s,
        { kind: 'escalation', deadline: 'accept', dueAt: sh('2026-11-23 12:00') },
        sh('2026-11-23 12:00'),
      ),
    ).toBe(s);
  });

  it('fires an escalation 0s after a breach at closing time at closing time, not next morning', () => {
    const s = startSla(sh('2026-11-23 16:00'), policy);
    const accept = dueTimers(s).filter((t) => t.deadline === 'accept');
    expect(accept.map((t) => at(t.dueAt))).toEqual([
      at(sh('2026-11-23 17:30')),
      at(sh('2026-11-23 18:00')),
      at(sh('2026-11-23 18:00')),
    ]);
  });

  it('lists nothing for the accept deadline once accepted, nothing at all once resolved', () => {
    const accepted = markAccepted(start, sh('2026-11-23 11:00'));
    expect(dueTimers(accepted).every((t) => t.deadline === 'resolve')).toBe(true);
    expect(markAccepted(accepted, sh('2026-11-23 11:40'))).toBe(accepted);
    const resolved = markResolved(accepted, sh('2026-11-24 11:00'));
    expect(dueTimers(resolved)).toEqual([]);
    expect(markResolved(resolved, sh('2026-11-24 12:00'))).toBe(resolved);
    expect(markResolved(start, sh('2026-11-23 11:00')).accept.satisfiedAt).toEqual(sh('2026-11-23 11:00'));
  });

  it('does not change the state it is given', () => {
    const copy = structuredClone(start);
    markResolved(
      pauseSla(fire(start, 'warning', 'accept', sh('2026-11-23 11:30')), sh('2026-11-23 11:40')),
      sh('2026-11-24 10:00'),
    );
    expect(start).toEqual(copy);
  });
});

describe('pause while awaiting the resident', () => {
  const start = startSla(sh('2026-11-23 10:00'), policy);

  it('fires nothing while paused and shifts unsatisfied deadlines by the paused business time', () => {
    const paused = pauseSla(start, sh('2026-11-23 11:00'));
    expect(dueTimers(paused)).toEqual([]);
    expect(pauseSla(paused, sh('2026-11-23 15:00'))).toBe(paused);
    // paused Mon 11:00 → Tue 11:00 = 7h + 2h = 9 working hours
    const resumed = resumeSla(paused, sh('2026-11-24 11:00'));
    expect(resumed.pausedSince).toBeUndefined();
    expect('pausedSince' in resumed).toBe(false);
    expect(resumed.pausedSeconds).toBe(9 * H);
    expect(resumed.accept.dueAt).toEqual(sh('2026-11-24 12:00'));
    expect(resumed.accept.warnAt).toEqual(sh('2026-11-24 11:30'));
    expect(resumed.resolve.dueAt).toEqual(sh('2026-11-27 10:00'));
    expect(resumeSla(resumed, sh('2026-11-24 12:00'))).toBe(resumed);
  });

  it('counts only working time of a pause over a weekend', () => {
    const s = resumeSla(pauseSla(start, sh('2026-11-27 17:00')), sh('2026-11-30 10:00'));
    expect(s.pausedSeconds).toBe(2 * H);
    expect(s.resolve.dueAt).toEqual(sh('2026-11-26 12:00'));
  });

  it('does not move a satisfied deadline, and adds up several pauses', () => {
    let s = markAccepted(start, sh('2026-11-23 10:30'));
    s = resumeSla(pauseSla(s, sh('2026-11-23 11:00')), sh('2026-11-23 12:00'));
    s = resumeSla(pauseSla(s, sh('2026-11-23 14:00')), sh('2026-11-23 16:00'));
    expect(s.accept.dueAt).toEqual(sh('2026-11-23 12:00'));
    expect(s.resolve.dueAt).toEqual(sh('2026-11-26 13:00'));
    expect(s.pausedSeconds).toBe(3 * H);
  });

  it('keeps a breach that fired before the pause but moves its escalations', () => {
    let s = fire(start, 'breach', 'accept', sh('2026-11-23 12:00'));
    s = resumeSla(pauseSla(s, sh('2026-11-23 13:00')), sh('2026-11-23 15:00'));
    expect(s.accept.breachedAt).toEqual(sh('2026-11-23 12:00'));
    expect(s.accept.dueAt).toEqual(sh('2026-11-23 14:00'));
    expect(dueTimers(s)[0]).toMatchObject({
      kind: 'escalation',
      deadline: 'accept',
      dueAt: sh('2026-11-23 14:00'),
    });
  });

  it('shifts a clock restarted during the pause only by the pause after its restart', () => {
    let s = pauseSla(start, sh('2026-11-23 11:00'));
    s = reassignSla(s, sh('2026-11-23 14:00'));
    s = resumeSla(s, sh('2026-11-23 15:00'));
    // fresh accept clock from 14:00 (due 16:00) moved by 1h; resolve moved by the whole 4h
    expect(s.accept.dueAt).toEqual(sh('2026-11-23 17:00'));
    expect(s.resolve.dueAt).toEqual(sh('2026-11-26 14:00'));
  });

  it('shows the view frozen at the start of the pause', () => {
    const paused = pauseSla(start, sh('2026-11-23 11:00'));
    const v = slaView(paused, sh('2026-11-23 16:00'));
    expect(v).toMatchObject({ paused: true, pausedSince: sh('2026-11-23 11:00'), pausedSeconds: 5 * H });
    expect(v.accept).toMatchObject({ standing: 'running', remainingSeconds: H });
    expect(v.next).toBeUndefined();
  });
});

describe('extension, reassignment, reopen', () => {
  const start = startSla(sh('2026-11-23 10:00'), policy);

  it('moves the resolve deadline, recomputes the warning and starts warn/breach/escalation over', () => {
    let s = markAccepted(start, sh('2026-11-23 10:30'));
    s = fire(s, 'warning', 'resolve', sh('2026-11-25 12:15'));
    s = fire(s, 'breach', 'resolve', sh('2026-11-26 10:00'));
    s = fire(s, 'escalation', 'resolve', sh('2026-11-26 10:00'), 1);
    s = grantExtension(s, sh('2026-11-30 18:00'), sh('2026-11-26 11:00'));
    // Thu 7h + Fri 9h + Mon 9h = 25h from the grant; 75% = 18h45m → Mon 11:45
    expect(s.resolve).toEqual({
      deadline: 'resolve',
      startedAt: sh('2026-11-26 11:00'),
      dueAt: sh('2026-11-30 18:00'),
      warnAt: sh('2026-11-30 11:45'),
      escalatedSteps: [],
    });
    expect(s.accept.satisfiedAt).toEqual(sh('2026-11-23 10:30'));
    expect(timeline(s)[0]).toBe(`warning:resolve @ ${at(sh('2026-11-30 11:45'))}`);
    expect(timeline(s)).toHaveLength(5);
  });

  it('refuses an extended deadline that is not later than now', () => {
    const refuse = () => grantExtension(start, sh('2026-11-23 10:00'), sh('2026-11-23 10:00'));
    expect(refuse).toThrow(DomainError);
    expect(refuse).toThrow(expect.objectContaining({ code: 'SLA.INVALID_DEADLINE', status: 400 }));
  });

  it('gives the new unit a fresh accept clock and keeps the resolve clock on reassignment', () => {
    const s = reassignSla(fire(start, 'breach', 'accept', sh('2026-11-23 12:00')), sh('2026-11-23 13:00'));
    expect(s.accept).toEqual({
      deadline: 'accept',
      startedAt: sh('2026-11-23 13:00'),
      dueAt: sh('2026-11-23 15:00'),
      warnAt: sh('2026-11-23 14:30'),
      escalatedSteps: [],
    });
    expect(s.resolve).toBe(start.resolve);
  });

  it('restarts both clocks from now on reopen', () => {
    const done = markResolved(start, sh('2026-11-24 10:00'));
    const s = reopenSla(done, sh('2026-11-25 15:00'));
    expect(s.accept.dueAt).toEqual(sh('2026-11-25 17:00'));
    expect(s.resolve.dueAt).toEqual(sh('2026-11-30 15:00'));
    expect(s.resolve.satisfiedAt).toBeUndefined();
    expect(dueTimers(s)).toHaveLength(8);
  });
});

describe('slaView', () => {
  const start = startSla(sh('2026-11-23 10:00'), policy);

  it.each([
    ['running', '2026-11-23 10:30', { standing: 'running', remainingSeconds: 1.5 * H }],
    ['warning', '2026-11-23 11:45', { standing: 'warning', remainingSeconds: 15 * 60 }],
    ['overdue by working time only', '2026-11-23 20:00', { standing: 'overdue', overdueSeconds: 6 * H }],
    ['overdue over the night', '2026-11-24 09:30', { standing: 'overdue', overdueSeconds: 6.5 * H }],
  ])('accept deadline %s', (_name, now, expected) => {
    expect(slaView(start, sh(now)).accept).toMatchObject(expected);
  });

  it('shows met and met late with how late', () => {
    const onTime = slaView(markAccepted(start, sh('2026-11-23 11:00')), sh('2026-11-24 10:00'));
    expect(onTime.accept).toMatchObject({ standing: 'met', satisfiedAt: sh('2026-11-23 11:00') });
    expect(onTime.accept.remainingSeconds).toBeUndefined();
    const late = slaView(markAccepted(start, sh('2026-11-24 10:00')), sh('2026-11-24 11:00'));
    expect(late.accept).toMatchObject({ standing: 'met_late', lateBySeconds: 7 * H });
  });

  it('rounds remaining time up and overdue time down to whole seconds', () => {
    const v = slaView(start, new Date(sh('2026-11-23 11:59').getTime() + 59_500));
    expect(v.accept.remainingSeconds).toBe(1);
    const o = slaView(start, new Date(sh('2026-11-23 12:00').getTime() + 1_500));
    expect(o.accept).toMatchObject({ standing: 'overdue', overdueSeconds: 1 });
  });

  it('names the policy, the next timer and what fired', () => {
    const s = fire(start, 'warning', 'accept', sh('2026-11-23 11:30'));
    const v = slaView(s, sh('2026-11-23 11:31'));
    expect(v).toMatchObject({
      policyId: 'normal-3d',
      calendarKind: 'working',
      paused: false,
      pausedSeconds: 0,
    });
    expect(v.accept.warnedAt).toEqual(sh('2026-11-23 11:30'));
    expect(v.next).toMatchObject({ kind: 'breach', deadline: 'accept', dueAt: sh('2026-11-23 12:00') });
  });
});

describe('properties', () => {
  const instant = fc
    .integer({ min: Date.UTC(2026, 0, 1) / 1000, max: Date.UTC(2027, 11, 31) / 1000 })
    .map((s) => new Date(s * 1000));

  it('a pause never makes a deadline earlier, and nothing fires while paused', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 0, max: 10 * 86400 }),
        fc.integer({ min: 0, max: 10 * 86400 }),
        (a, p, q) => {
          const s = startSla(a, policy);
          const pausedAt = new Date(a.getTime() + p * 1000);
          const paused = pauseSla(s, pausedAt);
          expect(dueTimers(paused)).toEqual([]);
          const resumed = resumeSla(paused, new Date(pausedAt.getTime() + q * 1000));
          expect(resumed.resolve.dueAt.getTime()).toBeGreaterThanOrEqual(s.resolve.dueAt.getTime());
          expect(resumed.accept.warnAt.getTime()).toBeLessThanOrEqual(resumed.accept.dueAt.getTime());
        },
      ),
    );
  });

  it('timers come out sorted', () => {
    fc.assert(
      fc.property(instant, (a) => {
        const times = dueTimers(startSla(a, policy)).map((t) => t.dueAt.getTime());
        expect(times).toEqual([...times].sort((x, y) => x - y));
      }),
    );
  });
});
