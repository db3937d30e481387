import { EVENT_TYPES, Topic } from '@app/contracts';
import type { CaseLifecyclePayload, CaseReportedPayload, LifecycleEventType } from '@app/contracts';
import {
  planNeeds,
  planNotifications,
  PlanContext,
  PlanInput,
  residentFromReporter,
  residentChannel,
  stripConfidential,
} from './plan';
import { parseQuietHours } from './quiet-hours';
import type { ResidentRecipient, UnitRecipient } from './types';

const caseId = '6f1c2b9e-2a4b-4c1e-9d7e-0a1b2c3d4e5f';
const reporter: ResidentRecipient = {
  key: 'reporter',
  phone: '+8613800000000',
  email: 'r@example.com',
  preferredContact: 'email',
  locale: 'en',
};
const co: ResidentRecipient = { key: 'co:1', phone: '+8613900000000', locale: 'zh-CN' };
const unit: UnitRecipient = {
  unitId: 'prop-1',
  name: '幸福物业',
  active: true,
  contact: { phone: '+86100', email: 'duty@prop.example' },
  supervisorContact: { email: 'boss@prop.example' },
  webhookUrl: 'https://prop.example/hooks',
};
// 12:00 in Shanghai (04:00Z): outside quiet hours.
const noon = new Date('2026-11-23T04:00:00Z');
// 23:30 in Shanghai (15:30Z): inside 22:00-07:00.
const night = new Date('2026-11-23T15:30:00Z');

function ctx(over: Partial<PlanContext> = {}): PlanContext {
  return {
    caseInfo: {
      caseId,
      reference: 'WL-20261123-000123',
      summary: 'blocked drain in building 4',
      priority: 'normal',
      reporterConfidential: false,
    },
    residents: [reporter, co],
    unit,
    roles: [
      { role: 'supervisor', email: 'sup@center.example', phone: '+86200', locale: 'zh-CN', active: true },
      { role: 'center', email: 'desk@center.example', locale: 'zh-CN', active: true },
    ],
    now: noon,
    quietHours: parseQuietHours('22:00-07:00'),
    trackingBaseUrl: 'http://localhost:3001',
    ...over,
  };
}

function lifecycle(type: LifecycleEventType, over: Partial<CaseLifecyclePayload> = {}) {
  const payload = {
    caseId,
    reference: 'WL-20261123-000123',
    status: 'assigned',
    residentVisible: true,
    at: noon.toISOString(),
    unitId: 'prop-1',
    ...over,
  } as CaseLifecyclePayload;
  return { kind: 'lifecycle' as const, type, payload };
}

describe('planNotifications', () => {
  it('acknowledges a report to the reporter on the preferred channel, with reference and tracking link', () => {
    const plan = planNotifications(
      { kind: 'reported', payload: {} as CaseReportedPayload },
      ctx({ residents: [reporter] }),
    );
    expect(plan.deliveries).toHaveLength(1);
    const d = plan.deliveries[0];
    expect(d).toMatchObject({
      recipient: 'resident:reporter',
      channel: 'email',
      endpoint: 'r@example.com',
      templateKey: 'received',
      locale: 'en',
    });
    expect(d.message.text).toContain('WL-20261123-000123');
    expect(d.message.text).toContain('http://localhost:3001/v1/reports/WL-20261123-000123');
  });

  it('anonymous reporters and preferredContact none get nothing', () => {
    expect(
      residentFromReporter({ anonymous: true, confidential: false, phone: '+86123456' }, 'reporter'),
    ).toBeNull();
    expect(
      residentFromReporter(
        { anonymous: false, confidential: false, phone: '+86123456', preferredContact: 'none' },
        'reporter',
      ),
    ).toBeNull();
    const plan = planNotifications(
      { kind: 'reported', payload: {} as CaseReportedPayload },
      ctx({ residents: [] }),
    );
    expect(plan.deliveries).toEqual([]);
  });

  it('falls back to sms, email, wechat when the preferred channel has no address', () => {
    expect(
      residentChannel({ key: 'k', email: 'a@b.c', preferredContact: 'wechat', locale: 'zh-CN' }),
    ).toEqual({ channel: 'email', endpoint: 'a@b.c' });
    expect(residentChannel({ key: 'k', locale: 'zh-CN' })).toBeNull();
  });

  it('sends a new task to the unit webhook only, with due time, and never a confidential reporter', () => {
    const task = {
      reference: 'WL-1',
      description: 'x',
      priority: 'normal' as const,
      location: {},
      reporterName: '张三',
      reporterPhone: '+86111',
      reporterConfidential: true,
    };
    const plan = planNotifications(
      lifecycle('case.assigned', { task, acceptBy: '2026-11-23T06:00:00Z' }),
      ctx(),
    );
    expect(plan.deliveries.map((d) => [d.recipient, d.channel])).toEqual([['unit:prop-1', 'webhook']]);
    const data = plan.deliveries[0].data as { task: Record<string, unknown> };
    expect(data.task.reporterName).toBeUndefined();
    expect(data.task.reporterPhone).toBeUndefined();
    expect(plan.deliveries[0].message.text).toContain('2026-11-23 14:00');
  });

  it('strips reporter identity when the case is confidential even if the task says otherwise', () => {
    const task = {
      reference: 'WL-1',
      description: 'x',
      priority: 'normal' as const,
      location: {},
      reporterName: '张三',
      reporterConfidential: false,
    };
    expect(stripConfidential(task, true)).not.toHaveProperty('reporterName');
    expect(stripConfidential(task, false)).toHaveProperty('reporterName', '张三');
  });

  it('uses sms and email for a unit without a webhook', () => {
    const plan = planNotifications(lifecycle('case.assigned'), ctx({ unit: { ...unit, webhookUrl: null } }));
    expect(plan.deliveries.map((d) => d.channel).sort()).toEqual(['email', 'sms']);
  });

  it('reports an unknown or inactive unit as unreachable instead of dropping silently', () => {
    expect(planNotifications(lifecycle('case.assigned'), ctx({ unit: null })).unreachable[0].recipient).toBe(
      'unit:prop-1',
    );
    expect(
      planNotifications(lifecycle('case.assigned'), ctx({ unit: { ...unit, active: false } })).deliveries,
    ).toEqual([]);
  });

  it('tells only the reporter when accepted and resolved, and every resident at closure', () => {
    expect(
      planNotifications(lifecycle('case.accepted', { status: 'accepted' }), ctx()).deliveries.map(
        (d) => d.recipient,
      ),
    ).toEqual(['resident:reporter']);
    expect(planNotifications(lifecycle('case.accepted', { taskRole: 'support' }), ctx()).deliveries).toEqual(
      [],
    );
    expect(
      planNotifications(lifecycle('case.resolved', { status: 'resolved' }), ctx()).deliveries[0].templateKey,
    ).toBe('resolved_confirm');
    const closed = planNotifications(lifecycle('case.closed', { status: 'closed' }), ctx());
    expect(closed.deliveries.map((d) => d.recipient)).toEqual(['resident:reporter', 'resident:co:1']);
    expect(closed.deliveries[1].message.text).toContain('已办结销号');
  });

  it('holds non-urgent resident messages through quiet hours; urgent ones and acknowledgements go out', () => {
    const held = planNotifications(lifecycle('case.closed', { status: 'closed' }), ctx({ now: night }));
    expect(held.deliveries[0].notBefore?.toISOString()).toBe('2026-11-23T23:00:00.000Z');
    const urgent = planNotifications(
      lifecycle('case.closed', { status: 'closed', priority: 'urgent' }),
      ctx({ now: night }),
    );
    expect(urgent.deliveries[0].notBefore).toBeNull();
    expect(urgent.deliveries[0].urgent).toBe(true);
    const ack = planNotifications(
      { kind: 'reported', payload: {} as CaseReportedPayload },
      ctx({ now: night }),
    );
    expect(ack.deliveries[0].notBefore).toBeNull();
  });

  it('escalations reach the unit, its supervisor and the center supervisors; breaches reach supervisors', () => {
    const esc = planNotifications(
      lifecycle('case.escalated', { escalationAction: 'notify_supervisor' }),
      ctx(),
    );
    expect(esc.deliveries.map((d) => `${d.recipient}/${d.channel}`)).toEqual([
      'unit:prop-1/webhook',
      'unit-supervisor:prop-1/email',
      'role:supervisor/sms',
      'role:supervisor/email',
    ]);
    const breach = planNotifications(lifecycle('case.sla-breached'), ctx());
    expect(
      breach.deliveries.filter((d) => d.recipient === 'role:supervisor').map((d) => d.templateKey),
    ).toEqual(['breach', 'breach']);
    const flag = planNotifications(lifecycle('case.supervision-flagged'), ctx());
    expect(flag.deliveries.map((d) => d.templateKey)).toContain('supervision_flag');
  });

  it('tells the center when triage is needed', () => {
    const plan = planNotifications(
      {
        kind: 'triage',
        payload: { reason: 'LOW_CONFIDENCE', reasons: ['confidence 0.3'], priority: 'normal' } as never,
      },
      ctx(),
    );
    expect(plan.deliveries).toHaveLength(1);
    expect(plan.deliveries[0]).toMatchObject({
      recipient: 'role:center',
      channel: 'email',
      templateKey: 'triage_needed',
    });
  });

  it('ignores events nobody needs to hear about', () => {
    expect(planNotifications(lifecycle('case.progress'), ctx()).deliveries).toEqual([]);
    expect(planNotifications(lifecycle('case.co-reported'), ctx()).deliveries).toEqual([]);
  });
});

describe('planNeeds', () => {
  /** The context with what planNeeds says is not needed left empty. */
  function limited(input: PlanInput, full: PlanContext): PlanContext {
    const needs = planNeeds(input);
    const residents =
      needs.residents === 'all'
        ? full.residents
        : needs.residents === 'none'
          ? []
          : full.residents.filter((r) => r.key === (needs.residents as { key: string }).key);
    return {
      ...full,
      residents,
      unit: needs.unit ? full.unit : null,
      roles: needs.roles ? full.roles : [],
    };
  }

  const variants: Partial<CaseLifecyclePayload>[] = [
    {},
    { unitName: '幸福物业（事件）' },
    { unitId: undefined },
    { status: 'resolved' },
    { taskRole: 'support' },
    { escalationAction: 'remind_unit' },
    { escalationAction: 'flag_supervision' },
    { escalationAction: 'notify_supervisor' },
    { priority: 'urgent' },
  ];

  it('loads enough for every lifecycle type: the plan is the same as with everything loaded', () => {
    let skipped = 0;
    for (const type of EVENT_TYPES[Topic.CaseLifecycle]) {
      for (const over of variants) {
        for (const now of [noon, night]) {
          const input = lifecycle(type, over);
          // As the handler loads it: no unit when the event names none.
          const full = ctx({ now, unit: input.payload.unitId ? unit : null });
          expect([type, over, planNotifications(input, limited(input, full))]).toEqual([
            type,
            over,
            planNotifications(input, full),
          ]);
          const needs = planNeeds(input);
          if (!needs.unit && !needs.roles && needs.residents === 'none') skipped++;
        }
      }
    }
    expect(skipped).toBeGreaterThan(0);
  });

  it('loads enough for reports, co-reports and triage', () => {
    const inputs: PlanInput[] = [
      { kind: 'reported', payload: {} as CaseReportedPayload },
      { kind: 'co-reported', payload: {} as never, residentKey: 'co:1' },
      { kind: 'triage', payload: { reason: 'LOW_CONFIDENCE', reasons: [], priority: 'normal' } as never },
    ];
    for (const input of inputs) {
      const full = ctx();
      expect(planNotifications(input, limited(input, full))).toEqual(planNotifications(input, full));
    }
  });

  it('asks for the unit only when a unit hears of the event or its name is missing', () => {
    expect(planNeeds(lifecycle('case.assigned'))).toEqual({ residents: 'none', unit: true, roles: false });
    expect(planNeeds(lifecycle('case.accepted', { unitName: 'x' }))).toEqual({
      residents: 'all',
      unit: false,
      roles: false,
    });
    expect(planNeeds(lifecycle('case.progress'))).toEqual({ residents: 'none', unit: false, roles: false });
    expect(planNeeds(lifecycle('case.sla-breached'))).toEqual({ residents: 'none', unit: true, roles: true });
  });
});
