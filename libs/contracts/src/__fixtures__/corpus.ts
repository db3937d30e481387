import type { ValidatorOptions } from 'class-validator';
import captured from './events.json';

/**
 * Event payloads to compare fast paths with the libraries they stand in for (validity-check.spec.ts,
 * instantiate.spec.ts): events captured from a bench run (demo data), hand-made ones for the types a
 * bench run does not publish, and mutations of any of them at every path.
 */

export const CONSUME: ValidatorOptions = { forbidUnknownValues: false };
export const HTTP: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  stopAtFirstError: false,
  validationError: { target: false },
};

export type Plain = Record<string, unknown>;
export type Envelope = Plain & { type: string; payload: Plain };

export const events = captured as unknown as Envelope[];
const byType = (type: string): Envelope => {
  const e = events.find((x) => x.type === type);
  if (!e) throw new Error(`no captured ${type}`);
  return JSON.parse(JSON.stringify(e)) as Envelope;
};
const at = '2026-12-05T10:00:00.000Z';
const uuid = '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

/** Events of the types a bench run does not publish, made from captured ones. */
export function handMade(): Envelope[] {
  const routed = byType('case.routed');
  const report = routed.payload.report as Plain;
  const rich = {
    ...report,
    categoryCode: 'drain_blocked',
    location: {
      gridCode: 'WL-GH-G1',
      buildingCode: 'WL-GH-G1-B02',
      addressText: '桂花苑2幢',
      lat: 30.3,
      lng: 120.1,
    },
    reporter: {
      anonymous: false,
      confidential: true,
      name: '张三',
      phone: '+86 138-0000-0000',
      email: 'zhang@example.cn',
      wechatOpenId: 'o-123',
      preferredContact: 'wechat',
      locale: 'zh-CN',
    },
    media: [{ url: 'https://media.example.cn/a.jpg', contentType: 'image/jpeg' }, { url: 'b.png' }],
    gridWorkerId: 'GW-7',
    attributes: { floor: '3' },
  };
  const lifecycle = byType('case.assigned');
  const envelope = (type: string, payload: Plain): Envelope => ({ ...lifecycle, type, payload });
  return [
    envelope('case.reported', rich),
    envelope('case.triage-required', {
      report: rich,
      reason: 'LOW_CONFIDENCE',
      reasons: ['two categories close'],
      categoryCode: 'drain_blocked',
      confidence: 0.4,
      priority: 'normal',
      mandatoryReport: 'safety_hazard',
      suggestedUnitType: 'property_management',
      slaPolicy: (routed.payload as Plain).slaPolicy,
      ruleVersion: 3,
      attempt: 1,
      excludedUnitIds: [],
    }),
    envelope('case.returned', {
      report: rich,
      taskId: uuid,
      unitId: 'U-PM-GH',
      reason: '不归我们管',
      excludedUnitIds: ['U-PM-GH'],
      returnCount: 1,
      categoryCode: 'drain_blocked',
    }),
    envelope('case.co-reported', {
      caseId: uuid,
      reference: 'WL-20261205-000001',
      coReportId: uuid,
      reporter: rich.reporter,
      at,
    }),
    envelope('case.feedback-submitted', {
      caseId: uuid,
      reference: 'WL-20261205-000001',
      confirmed: true,
      satisfaction: 'satisfied',
      comment: '很快',
      at,
    }),
    envelope('case.closed', {
      ...lifecycle.payload,
      status: 'closed',
      closedHow: 'resident_confirmed',
      satisfaction: 'satisfied',
      evidence: [{ url: 'https://media.example.cn/done.jpg' }],
    }),
    envelope('case.sla-breached', {
      ...lifecycle.payload,
      deadline: 'accept',
      dueAt: at,
      lateBySeconds: 12,
      escalationAction: 'notify_supervisor',
      escalationStep: 1,
    }),
    envelope('case.merged', {
      ...lifecycle.payload,
      status: 'merged',
      mergedInto: uuid,
      mergedIntoReference: 'WL-1',
    }),
  ];
}

export const MUTATIONS: { name: string; apply: (holder: Plain | unknown[], key: string | number) => void }[] =
  [
    { name: 'delete', apply: (h, k) => void (Array.isArray(h) ? h.splice(Number(k), 1) : delete h[k]) },
    ...(
      [
        null,
        '',
        'x',
        'x'.repeat(4001),
        0,
        -1,
        0.5,
        2,
        1e12,
        true,
        [],
        ['x'],
        [1],
        [{}],
        {},
        { extra: 1 },
        at,
        uuid,
        'urgent',
        'app',
      ] as unknown[]
    ).map((v) => ({
      name: `= ${JSON.stringify(v)?.slice(0, 20)}`,
      apply: (h: Plain | unknown[], k: string | number) => {
        (h as Record<string | number, unknown>)[k] = JSON.parse(JSON.stringify(v)) as unknown;
      },
    })),
  ];

/** Every (holder, key) in a plain value: object properties and array items, nested. */
export function paths(value: unknown, trail: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...trail, i], ...paths(v, [...trail, i])]);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...trail, k], ...paths(v, [...trail, k])]);
  return [];
}

export function mutated(
  root: unknown,
  path: (string | number)[],
  apply: (typeof MUTATIONS)[number]['apply'],
): unknown {
  const copy = JSON.parse(JSON.stringify(root)) as unknown;
  let holder = copy as Plain;
  for (const step of path.slice(0, -1)) holder = (holder as Record<string | number, unknown>)[step] as Plain;
  apply(holder, path[path.length - 1]);
  return copy;
}
