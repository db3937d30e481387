import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  UnitRefDto,
  CaseLifecyclePayload,
  CaseRoutedPayload,
  CaseTriageRequiredPayload,
  EventEnvelope,
  Topic,
} from '@app/contracts';
import { createTestNamespace, TestNamespace, waitFor } from '@app/testing';
import { startDispatch } from '../src/app';
import { OpsProjection } from '../src/ops';

/**
 * Every ops query against a read model seeded through the projection with known answers (events
 * deliberately out of order across topics), then the same path end to end over Kafka.
 */
const T = Date.now() - (Date.now() % 60_000); // "now", on a whole minute
const ago = (seconds: number) => new Date(T - seconds * 1000).toISOString();
const H = 3600;
const D = 86400;

const ids = {
  c1: randomUUID(),
  c2: randomUUID(),
  c3: randomUUID(),
  c4: randomUUID(),
  c5: randomUUID(),
  a1: randomUUID(),
  a2: randomUUID(),
  b1: randomUUID(),
  b2: randomUUID(),
};
const ref = (caseId: string) => `WL-OPS-${caseId.slice(0, 8)}`;
const unitA: Required<UnitRefDto> = {
  unitId: 'unit-a',
  unitType: 'property_management',
  unitName: '阳光物业',
};
const unitB: Required<UnitRefDto> = { unitId: 'unit-b', unitType: 'police', unitName: '城东派出所' };

function envelope<P>(type: string, occurredAt: string, caseId: string, payload: P): EventEnvelope<P> {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    key: caseId,
    caseId,
    correlationId: `ops-test-${caseId.slice(0, 8)}`,
    occurredAt,
    producer: 'test',
    payload,
  };
}

function report(caseId: string, reportedAt: string, grid: string, building: string) {
  return {
    caseId,
    reference: ref(caseId),
    channel: 'app' as const,
    description: `楼下下水管堵了 ${caseId.slice(0, 4)}`,
    location: { gridCode: grid, buildingCode: building },
    reporter: { anonymous: true, confidential: false },
    media: [],
    reportedAt,
  };
}

const SLA = {
  policyId: 'default',
  acceptWithinSeconds: 3600,
  resolveWithinSeconds: 4 * 3600,
  warnAtFraction: 0.8,
  calendar: { kind: '24x7' as const },
  escalation: [],
};

function routed(
  caseId: string,
  at: string,
  reportedAt: string,
  where: [string, string],
  category: string,
  priority: CaseRoutedPayload['priority'],
  lead: typeof unitA,
  attempt = 1,
): EventEnvelope<CaseRoutedPayload> {
  return envelope('case.routed', at, caseId, {
    report: report(caseId, reportedAt, where[0], where[1]),
    categoryCode: category,
    confidence: 0.95,
    priority,
    lead,
    support: [],
    slaPolicy: SLA,
    ruleVersion: 1,
    reasons: ['test'],
    attempt,
    excludedUnitIds: [],
  } as CaseRoutedPayload);
}

function life(
  type: string,
  caseId: string,
  at: string,
  status: CaseLifecyclePayload['status'],
  extra: Partial<CaseLifecyclePayload> = {},
): EventEnvelope<CaseLifecyclePayload> {
  return envelope(type, at, caseId, {
    caseId,
    reference: ref(caseId),
    status,
    residentVisible: false,
    at,
    ...extra,
  } as CaseLifecyclePayload);
}

const task = (taskId: string, u: typeof unitA, more: Partial<CaseLifecyclePayload> = {}) => ({
  taskId,
  taskRole: 'lead' as const,
  unitId: u.unitId,
  unitType: u.unitType,
  unitName: u.unitName,
  ...more,
});

describe('ops API: every query against seeded data with known answers', () => {
  let ns: TestNamespace;
  let app: INestApplication;
  let base: string;
  let token: string;
  let producer: Producer | undefined;

  const get = async (path: string, auth = true) => {
    const res = await fetch(`${base}${path}`, { headers: auth ? { authorization: `Bearer ${token}` } : {} });
    return {
      status: res.status,
      body: (await res.json()) as Record<string, unknown> & Record<string, never>,
    };
  };

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'opsqueries' });
    ns.apply();
    process.env.SEED_DEMO_STAFF = 'true';
    process.env.OPS_STREAM_REFRESH_MS = '300';
    // The 'ops' consumer is the rebuild path (OPS_FROM_KAFKA): the last test feeds the model through it.
    process.env.OPS_FROM_KAFKA = 'true';
    app = await startDispatch({ port: 0 });
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const login = await fetch(`${base}/center/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'supervisor', password: 'supervisor-demo-2026' }),
    });
    expect(login.status).toBe(200);
    token = ((await login.json()) as { token: string }).token;

    const projection = app.get(OpsProjection);
    const ds = app.get(DataSource);
    const events: [Topic, EventEnvelope<unknown>][] = [
      // C1: closed on time, satisfied (unit A).
      [
        Topic.CaseRouted,
        routed(ids.c1, ago(2 * H + 30), ago(2 * H + 60), ['G1', 'B1'], 'drain', 'normal', unitA),
      ],
      [
        Topic.CaseLifecycle,
        life(
          'case.assigned',
          ids.c1,
          ago(2 * H),
          'assigned',
          task(ids.a1, unitA, { acceptBy: ago(H), resolveBy: ago(-2 * H) }),
        ),
      ],
      [Topic.CaseLifecycle, life('case.accepted', ids.c1, ago(2 * H - 600), 'accepted', task(ids.a1, unitA))],
      [Topic.CaseLifecycle, life('case.resolved', ids.c1, ago(H), 'resolved', task(ids.a1, unitA))],
      [
        Topic.CaseLifecycle,
        life('case.closed', ids.c1, ago(0), 'closed', {
          satisfaction: 'satisfied',
          closedHow: 'resident_confirmed',
        }),
      ],
      // C2: lifecycle BEFORE the routed snapshot; an accept breach still open (unit A).
      [
        Topic.CaseLifecycle,
        life(
          'case.assigned',
          ids.c2,
          ago(30 * 60),
          'assigned',
          task(ids.a2, unitA, { priority: 'urgent', acceptBy: ago(20 * 60) }),
        ),
      ],
      [
        Topic.CaseLifecycle,
        life(
          'case.sla-breached',
          ids.c2,
          ago(20 * 60),
          'assigned',
          task(ids.a2, unitA, { deadline: 'accept', dueAt: ago(20 * 60), lateBySeconds: 0 }),
        ),
      ],
      [
        Topic.CaseRouted,
        routed(ids.c2, ago(30 * 60 + 10), ago(31 * 60), ['G1', 'B2'], 'drain', 'urgent', unitA),
      ],
      // C3: in the triage queue for 3 days.
      [
        Topic.CaseTriageRequired,
        envelope('case.triage-required', ago(3 * D + H), ids.c3, {
          report: report(ids.c3, ago(3 * D + H), 'G2', 'B9'),
          reason: 'LOW_CONFIDENCE',
          reasons: ['low confidence'],
          categoryCode: 'noise',
          priority: 'high',
          ruleVersion: 1,
          attempt: 1,
          excludedUnitIds: [],
        } as CaseTriageRequiredPayload),
      ],
      // C4: 10 days old, unit B accepted then returned it (退单); routed twice (counted once on the map).
      [Topic.CaseRouted, routed(ids.c4, ago(10 * D), ago(10 * D), ['G2', 'B9'], 'noise', 'low', unitB)],
      [Topic.CaseLifecycle, life('case.assigned', ids.c4, ago(10 * D - 60), 'assigned', task(ids.b1, unitB))],
      [
        Topic.CaseLifecycle,
        life('case.accepted', ids.c4, ago(10 * D - 60 - 1800), 'accepted', task(ids.b1, unitB)),
      ],
      [
        Topic.CaseLifecycle,
        life(
          'case.returned',
          ids.c4,
          ago(10 * D - 60 - 3600),
          'routed',
          task(ids.b1, unitB, { note: '不是我们的事' }),
        ),
      ],
      [
        Topic.CaseRouted,
        routed(ids.c4, ago(10 * D - 60 - 3600 - 60), ago(10 * D), ['G2', 'B9'], 'noise', 'low', unitB, 2),
      ],
      // C5: unit B breached accept, then accepted (the breach leaves the board), closed unsatisfied.
      [Topic.CaseRouted, routed(ids.c5, ago(5 * H), ago(5 * H), ['G1', 'B1'], 'drain', 'normal', unitB)],
      [
        Topic.CaseLifecycle,
        life('case.assigned', ids.c5, ago(5 * H), 'assigned', task(ids.b2, unitB, { acceptBy: ago(4 * H) })),
      ],
      [
        Topic.CaseLifecycle,
        life(
          'case.sla-breached',
          ids.c5,
          ago(4 * H),
          'assigned',
          task(ids.b2, unitB, { deadline: 'accept', dueAt: ago(4 * H), lateBySeconds: 0 }),
        ),
      ],
      [Topic.CaseLifecycle, life('case.accepted', ids.c5, ago(3.5 * H), 'accepted', task(ids.b2, unitB))],
      [Topic.CaseLifecycle, life('case.resolved', ids.c5, ago(2 * H), 'resolved', task(ids.b2, unitB))],
      [
        Topic.CaseLifecycle,
        life('case.closed', ids.c5, ago(H), 'closed', {
          satisfaction: 'unsatisfied',
          closedHow: 'center_verified',
        }),
      ],
    ];
    await ds.transaction(async (m) => {
      for (const [topic, e] of events) {
        if (topic === Topic.CaseRouted) await projection.routed(m, e as EventEnvelope<CaseRoutedPayload>);
        else if (topic === Topic.CaseTriageRequired)
          await projection.triageRequired(m, e as EventEnvelope<CaseTriageRequiredPayload>);
        else await projection.lifecycle(m, e as EventEnvelope<CaseLifecyclePayload>);
      }
    });
  }, 60_000);

  afterAll(async () => {
    await producer?.disconnect();
    await app?.close();
    await ns?.cleanup();
  });

  it('refuses callers without a staff token (401) and bad input (400 naming the field)', async () => {
    expect((await get('/ops/v1/open-cases', false)).status).toBe(401);
    const reversed = await get(
      `/ops/v1/units/performance?from=${encodeURIComponent(ago(0))}&to=${encodeURIComponent(ago(D))}`,
    );
    expect(reversed.status).toBe(400);
    expect(JSON.stringify(reversed.body)).toContain('"to"');
    const unknown = await get('/ops/v1/open-cases?colour=red');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('colour');
    const badPriority = await get('/ops/v1/open-cases?priority=whenever');
    expect(badPriority.status).toBe(400);
    expect(JSON.stringify(badPriority.body)).toContain('priority');
    expect((await get('/ops/v1/cases/not-a-uuid')).status).toBe(400);
    const missing = await get(`/ops/v1/cases/${randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('OPS.CASE_NOT_FOUND');
  });

  it('counts open cases by status, unit, category, grid and priority', async () => {
    const { status, body } = await get('/ops/v1/open-cases');
    expect(status).toBe(200);
    expect(body.total).toBe(3);
    const kv = (rows: unknown) =>
      Object.fromEntries((rows as { key: string; count: number }[]).map((r) => [r.key, r.count]));
    expect(kv(body.byStatus)).toEqual({ assigned: 1, routed: 1, triage: 1 });
    expect(kv(body.byUnit)).toEqual({ 'unit-a': 1, 'unit-b': 1, '': 1 });
    expect(kv(body.byCategory)).toEqual({ noise: 2, drain: 1 });
    expect(kv(body.byGrid)).toEqual({ G2: 2, G1: 1 });
    expect((body.byPriority as { key: string }[]).map((r) => r.key)).toEqual(['urgent', 'high', 'low']);
    expect((await get('/ops/v1/open-cases?grid=G2')).body.total).toBe(2);
    expect((await get('/ops/v1/open-cases?unit=unit-a&priority=urgent')).body.total).toBe(1);
  });

  it('buckets open cases by age', async () => {
    const { body } = await get('/ops/v1/aging');
    const counts = Object.fromEntries(
      (body.buckets as { key: string; count: number }[]).map((b) => [b.key, b.count]),
    );
    expect(counts).toEqual({ lt_1h: 1, '1h_4h': 0, '4h_24h': 0, '1d_3d': 0, '3d_7d': 1, gt_7d: 1 });
  });

  it('shows only unmet deadlines on the breach board, and every breach in the series', async () => {
    const board = await get('/ops/v1/breaches/open');
    expect(board.body.total).toBe(1);
    const [item] = board.body.items as {
      caseId: string;
      deadline: string;
      unitId: string;
      reference: string;
      overdueSeconds: number;
    }[];
    expect(item).toMatchObject({
      caseId: ids.c2,
      deadline: 'accept',
      unitId: 'unit-a',
      reference: ref(ids.c2),
    });
    expect(item.overdueSeconds).toBeGreaterThanOrEqual(20 * 60);

    const q = (from: string, to: string, interval: string) =>
      get(
        `/ops/v1/breaches/series?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&interval=${interval}&tz=UTC`,
      );
    const hourly = await q(ago(24 * H), ago(-H), 'hour');
    expect(hourly.status).toBe(200);
    expect(hourly.body.total).toBe(2);
    const hourOf = (iso: string) => Math.floor(new Date(iso).getTime() / 3600_000);
    expect((hourly.body.points as unknown[]).length).toBe(hourOf(ago(-H + 0.001)) - hourOf(ago(24 * H)) + 1);
    const points = hourly.body.points as { start: string; accept: number; resolve: number }[];
    expect(points.filter((p) => p.accept > 0).map((p) => p.start)).toEqual([
      new Date(Math.floor((T - 4 * H * 1000) / 3600_000) * 3600_000).toISOString(),
      new Date(Math.floor((T - 20 * 60_000) / 3600_000) * 3600_000).toISOString(),
    ]);
    expect((await q(ago(2 * D), ago(0), 'day')).body.total).toBe(2);
    expect((await q(ago(H), ago(0), 'hour')).body.total).toBe(1);
    expect((await q(ago(400 * D), ago(0), 'hour')).status).toBe(400);
  });

  it('reports per-unit performance and points (积分) over a period', async () => {
    const perf = async (from: string, to: string) =>
      (await get(`/ops/v1/units/performance?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`))
        .body;
    const day = await perf(ago(D), ago(-60));
    expect(day.pointsRule).toEqual({ onTime: 10, breach: -5 });
    const [a, b] = day.units as Record<string, unknown>[];
    expect(a).toMatchObject({
      unitId: 'unit-a',
      unitName: '阳光物业',
      tasks: 2,
      accepted: 1,
      resolved: 1,
      acceptSecondsP50: 600,
      acceptSecondsP90: 600,
      resolveSecondsP50: 3600,
      onTime: 1,
      onTimeRate: 1,
      returned: 0,
      returnRate: 0,
      rated: 1,
      satisfactionRate: 1,
      breaches: 1,
      onTimeClosed: 1,
      points: 5,
    });
    expect(b).toMatchObject({
      unitId: 'unit-b',
      tasks: 1,
      acceptSecondsP50: 1.5 * H,
      resolveSecondsP50: 3 * H,
      onTime: 0,
      onTimeRate: 0,
      rated: 1,
      satisfactionRate: 0,
      breaches: 1,
      points: -5,
    });
    const month = await perf(ago(30 * D), ago(-60));
    const b30 = (month.units as Record<string, unknown>[]).find((u) => u.unitId === 'unit-b')!;
    expect(b30).toMatchObject({
      tasks: 2,
      returned: 1,
      returnRate: 0.5,
      acceptSecondsP50: 3600,
      acceptSecondsP90: 5040,
    });
  });

  it('counts hotspots per grid and building per category (民情地图), each case once', async () => {
    const q = (extra: string) =>
      get(
        `/ops/v1/hotspots?from=${encodeURIComponent(ago(30 * D))}&to=${encodeURIComponent(ago(-60))}${extra}`,
      );
    expect((await q('')).body.cells).toEqual([
      { grid: 'G1', category: 'drain', count: 3 },
      { grid: 'G2', category: 'noise', count: 2 },
    ]);
    expect((await q('&level=building')).body.cells).toEqual([
      { grid: 'G1', building: 'B1', category: 'drain', count: 2 },
      { grid: 'G2', building: 'B9', category: 'noise', count: 2 },
      { grid: 'G1', building: 'B2', category: 'drain', count: 1 },
    ]);
    expect((await q('&category=noise')).body.cells).toEqual([{ grid: 'G2', category: 'noise', count: 2 }]);
  });

  it('lists the triage queue and shows a case with its tasks, breaches and timeline in time order', async () => {
    const triage = await get('/ops/v1/triage');
    expect(triage.body.total).toBe(1);
    expect(triage.body.items).toEqual([
      expect.objectContaining({
        caseId: ids.c3,
        priority: 'high',
        reason: 'LOW_CONFIDENCE',
        grid: 'G2',
        category: 'noise',
      }),
    ]);
    const c2 = (await get(`/ops/v1/cases/${ids.c2}`)).body;
    // The routed snapshot arrived last: status stays at the later 'assigned', location filled in.
    expect(c2).toMatchObject({
      status: 'assigned',
      grid: 'G1',
      building: 'B2',
      priority: 'urgent',
      leadUnitId: 'unit-a',
      breachCount: 1,
    });
    expect((c2.timeline as { type: string }[]).map((e) => e.type)).toEqual([
      'case.routed',
      'case.assigned',
      'case.sla-breached',
    ]);
    expect(c2.tasks).toEqual([
      expect.objectContaining({ taskId: ids.a2, acceptBreached: true, acceptBy: ago(20 * 60) }),
    ]);
    const c4 = (await get(`/ops/v1/cases/${ids.c4}`)).body;
    expect(c4).toMatchObject({ status: 'routed', returnCount: 1 });
  });

  it('pushes the board over SSE', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/ops/v1/stream`, {
      headers: { authorization: `Bearer ${token}` },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    await waitFor(
      async () => {
        const { value } = await reader.read();
        text += Buffer.from(value ?? new Uint8Array()).toString('utf8');
        return text.includes('event: board') && text.includes(ref(ids.c2));
      },
      { timeoutMs: 10_000, what: 'a board frame' },
    );
    ac.abort();
  });

  it('feeds the read model from Kafka, whatever the order across topics', async () => {
    producer = ns.kafka.producer();
    await producer.connect();
    const c6 = randomUUID();
    const t6 = randomUUID();
    const send = async (topic: Topic, e: EventEnvelope<unknown>) =>
      producer!.send({
        topic: `${ns.topicPrefix}${topic}`,
        messages: [{ key: e.key, value: JSON.stringify(e) }],
      });
    // The breach (lifecycle) before the routing answer.
    await send(
      Topic.CaseLifecycle,
      life(
        'case.sla-breached',
        c6,
        ago(60),
        'assigned',
        task(t6, unitB, { deadline: 'resolve', dueAt: ago(60) }),
      ),
    );
    await send(
      Topic.CaseTriageRequired,
      envelope('case.triage-required', ago(2 * H), c6, {
        report: report(c6, ago(2 * H), 'G7', 'B1'),
        reason: 'NO_RULE',
        reasons: ['no rule'],
        priority: 'normal',
        ruleVersion: 1,
        attempt: 1,
        excludedUnitIds: [],
      } as CaseTriageRequiredPayload),
    );
    const c = await waitFor(
      async () => {
        const r = await get(`/ops/v1/cases/${c6}`);
        // Both events applied: the routing answer (grid) and the breach. The two topics are read
        // independently, and dispatch's own triage may add a timeline entry before the breach lands.
        return r.status === 200 && r.body.grid === 'G7' && Number(r.body.breachCount) > 0
          ? r.body
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the case with its breach in the ops read model' },
    );
    // (dispatch's own case-routing consumer also triages the case, so the status may be 'triage' by now.)
    expect(c).toMatchObject({ triage: true, breachCount: 1, reference: ref(c6) });
    const board = await get('/ops/v1/breaches/open');
    expect((board.body.items as { caseId: string }[]).map((i) => i.caseId)).toContain(c6);
  }, 45_000);
});
