import type { Producer } from 'kafkajs';
import { CaseReportedPayload, Topic } from '@app/contracts';
import {
  createTestNamespace,
  ServiceProcess,
  spawnService,
  TestNamespace,
  TopicReader,
  waitFor,
} from '@app/testing';
import { call, category, LENIENT_LIMITS, produce, report, sql } from './support';

describe('POST /v1/reports: every channel, clear refusals, case.reported through the outbox', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let reported: TopicReader<CaseReportedPayload>;
  let producer: Producer;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'intake' });
    intake = await spawnService('intake', { ...ns.env, ...LENIENT_LIMITS });
    reported = await TopicReader.open<CaseReportedPayload>(ns, Topic.CaseReported);
    producer = ns.kafka.producer();
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await reported?.close();
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
  });

  it('answers 201 with case id, reference and tracking token, and publishes the report snapshot keyed by case id', async () => {
    for (const channel of ['app', 'wechat', 'hotline', 'grid_worker', 'walk_in', 'open311']) {
      const body = report({ channel, ...(channel === 'grid_worker' ? { gridWorkerId: 'gw-17' } : {}) });
      const res = await call<{ caseId: string; reference: string; trackingToken: string; status: string }>(
        `${intake.url}/v1/reports`,
        { body },
      );
      expect(res.status).toBe(201);
      expect(res.body.reference).toMatch(/^WL-\d{8}-\d{6}$/);
      expect(res.body.trackingToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(res.body.status).toBe('reported');
      const event = await reported.waitForEvent((e) => e.caseId === res.body.caseId);
      expect(event.type).toBe('case.reported');
      expect(event.key).toBe(res.body.caseId);
      expect(event.payload).toMatchObject({
        caseId: res.body.caseId,
        reference: res.body.reference,
        channel,
        location: body.location,
      });
      expect(JSON.stringify(event)).not.toContain(res.body.trackingToken);
    }
    const [{ n, tokens }] = await sql<{ n: number; tokens: number }>(
      ns,
      `SELECT count(*)::int AS n, count(DISTINCT tracking_token_hash)::int AS tokens FROM intake.reports`,
    );
    expect(n).toBe(6);
    expect(tokens).toBe(6);
    const references = (
      await sql<{ reference: string }>(ns, `SELECT reference FROM intake.reports ORDER BY reference`)
    ).map((r) => r.reference);
    expect(references.map((r) => r.slice(-6))).toEqual([
      '000001',
      '000002',
      '000003',
      '000004',
      '000005',
      '000006',
    ]);
  });

  it.each([
    ['an unknown field', { extra: 1 }, 'extra'],
    ['an unknown channel', { channel: 'fax' }, 'channel'],
    ['a description over 4,000 characters', { description: '堵'.repeat(4001) }, 'description'],
    ['no location at all', { location: {} }, 'location'],
    ['lat without lng', { location: { lat: 31.2 } }, 'location.lng'],
    ['an unknown nested field', { location: { buildingCode: 'B-1', floor: 3 } }, 'location.floor'],
    ['no reporter', { reporter: undefined }, 'reporter'],
    [
      'a bad phone number',
      { reporter: { anonymous: false, confidential: false, phone: 'call me' } },
      'reporter.phone',
    ],
    [
      'a name on an anonymous report',
      { reporter: { anonymous: true, confidential: false, name: '张三' } },
      'reporter.name',
    ],
    [
      'sms contact without a phone',
      { reporter: { anonymous: false, confidential: false, name: '张三', preferredContact: 'sms' } },
      'reporter.preferredContact',
    ],
    ['a grid worker report without the grid worker', { channel: 'grid_worker' }, 'gridWorkerId'],
    ['a media URL that is not http(s)', { media: [{ url: 'javascript:alert(1)' }] }, 'media.0.url'],
    ['a malformed category code', { categoryCode: 'Drain Blocked!' }, 'categoryCode'],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_what, over, field) => {
    const body = { ...report(), ...over } as Record<string, unknown>;
    for (const [k, v] of Object.entries(over)) if (v === undefined) delete body[k];
    const before = await sql<{ n: number }>(
      ns,
      `SELECT (SELECT count(*) FROM intake.reports) + (SELECT count(*) FROM intake.outbox) AS n`,
    );
    const res = await call<{ code: string; details: { fields: { field: string }[] } }>(
      `${intake.url}/v1/reports`,
      { body },
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.details.fields.map((f) => f.field)).toContain(field);
    const after = await sql<{ n: number }>(
      ns,
      `SELECT (SELECT count(*) FROM intake.reports) + (SELECT count(*) FROM intake.outbox) AS n`,
    );
    expect(after).toEqual(before);
  });

  it('refuses malformed JSON and a bad Idempotency-Key header with 400', async () => {
    const res = await fetch(`${intake.url}/v1/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"channel":',
    });
    expect(res.status).toBe(400);
    const bad = await call<{ details: { fields: { field: string }[] } }>(`${intake.url}/v1/reports`, {
      body: report(),
      headers: { 'Idempotency-Key': 'no spaces allowed' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.fields[0].field).toBe('Idempotency-Key');
  });

  it('accepts any well-formed category until categories are known, then refuses unknown ones naming categoryCode', async () => {
    const early = await call(`${intake.url}/v1/reports`, { body: report({ categoryCode: 'anything_goes' }) });
    expect(early.status).toBe(201);
    await produce(
      ns,
      producer,
      Topic.ReferenceCategories,
      'reference.category',
      'drain_blocked',
      category('drain_blocked'),
    );
    await waitFor(
      async () =>
        (await sql(ns, `SELECT 1 FROM intake.categories WHERE code = 'drain_blocked'`)).length === 1,
      { what: 'the category' },
    );
    const unknown = await call<{ details: { fields: { field: string }[] } }>(`${intake.url}/v1/reports`, {
      body: report({ categoryCode: 'no_such_thing' }),
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details.fields.map((f) => f.field)).toEqual(['categoryCode']);
    const known = await call(`${intake.url}/v1/reports`, { body: report({ categoryCode: 'drain_blocked' }) });
    expect(known.status).toBe(201);
  });

  it('documents every endpoint in /openapi.json and counts cases in /metrics', async () => {
    const doc = await call<{ paths: Record<string, unknown> }>(`${intake.url}/openapi.json`);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/reports',
        '/v1/reports/{reference}',
        '/v1/reports/{reference}/feedback',
        '/v1/reports/{reference}/info',
        '/v1/media',
        '/open311/v2/requests.{format}',
        '/open311/v2/services/{service_code}.{format}',
      ]),
    );
    const metrics = await (await fetch(`${intake.url}/metrics`)).text();
    expect(metrics).toMatch(/cases_reported_total\{[^}]*channel="app"[^}]*\} \d+/);
  });
});
