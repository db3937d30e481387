import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { CaseResidentPayload, Topic } from '@app/contracts';
import {
  createTestNamespace,
  ServiceProcess,
  spawnService,
  TestNamespace,
  TopicReader,
  waitFor,
} from '@app/testing';
import { call, LENIENT_LIMITS, lifecycle, produce, report, sql } from './support';

type Answer = { caseId: string; reference: string; trackingToken: string };
type View = {
  reference: string;
  status: string;
  responsibleUnit?: string;
  expectedBy?: string;
  infoRequested: boolean;
  awaitingFeedback: boolean;
  timeline: { type: string; status: string; note?: string }[];
};

describe('resident tracking: status from case events, only with the tracking token', () => {
  let ns: TestNamespace;
  let intake: ServiceProcess;
  let resident: TopicReader<CaseResidentPayload>;
  let producer: Producer;
  let mine: Answer;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'track' });
    intake = await spawnService('intake', { ...ns.env, ...LENIENT_LIMITS });
    resident = await TopicReader.open<CaseResidentPayload>(ns, Topic.CaseResident);
    producer = ns.kafka.producer();
    await producer.connect();
    mine = (await call<Answer>(`${intake.url}/v1/reports`, { body: report() })).body;
  });

  afterAll(async () => {
    await producer?.disconnect();
    await resident?.close();
    await intake?.kill('SIGTERM');
    await ns?.cleanup();
  });

  const view = (token?: string, viaQuery = false) =>
    call<View>(
      `${intake.url}/v1/reports/${mine.reference}${viaQuery && token ? `?token=${encodeURIComponent(token)}` : ''}`,
      {
        headers: !viaQuery && token ? { 'X-Tracking-Token': token } : {},
      },
    );
  /** Events the resident view took in chunks by the path `by` (its `consumer_chunk_events` sum). */
  const chunkEvents = async (by: 'chunk-handler' | 'gathered') => {
    const metrics = await (await fetch(`${intake.url}/metrics`)).text();
    const sum = new RegExp(
      `consumer_chunk_events_sum\\{[^}]*consumer="resident-read-model",by="${by}"\\} (\\d+)`,
    ).exec(metrics);
    return Number(sum?.[1] ?? 0);
  };
  const emit = (
    type: string,
    status: Parameters<typeof lifecycle>[2],
    over: Parameters<typeof lifecycle>[3] = {},
  ) =>
    produce(
      ns,
      producer,
      Topic.CaseLifecycle,
      type,
      mine.caseId,
      lifecycle(mine.caseId, mine.reference, status, over),
      mine.caseId,
    );

  it('shows the report with the token (header or query), and answers 404 alike for a wrong, missing or unknown token/reference', async () => {
    const ok = await view(mine.trackingToken);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      reference: mine.reference,
      status: 'reported',
      infoRequested: false,
      awaitingFeedback: false,
    });
    expect(ok.body.timeline).toEqual([
      expect.objectContaining({ type: 'case.reported', status: 'reported' }),
    ]);
    expect((await view(mine.trackingToken, true)).status).toBe(200);

    const wrong = await view('x'.repeat(43));
    const missing = await view();
    const unknown = await call(`${intake.url}/v1/reports/WL-20000101-999999`, {
      headers: { 'X-Tracking-Token': mine.trackingToken },
    });
    for (const r of [wrong, missing, unknown]) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ code: 'INTAKE.NOT_FOUND', message: 'Report was not found' });
    }
  });

  it('follows case.lifecycle: unit, expected time, resident-visible timeline entries only, deduplicated by event id', async () => {
    const resolveBy = new Date(Date.now() + 86_400_000).toISOString();
    await emit('case.assigned', 'assigned', {
      unitName: '阳光物业',
      taskRole: 'lead',
      resolveBy,
      residentNote: '已派给阳光物业',
    });
    await emit('case.assigned', 'assigned', {
      unitName: '志愿服务队',
      taskRole: 'support',
      residentVisible: false,
    });
    const accepted = lifecycle(mine.caseId, mine.reference, 'accepted', { residentNote: '物业已签收' });
    const acceptedId = await produce(
      ns,
      producer,
      Topic.CaseLifecycle,
      'case.accepted',
      mine.caseId,
      accepted,
      mine.caseId,
    );
    // The same event again (a redelivery): no second timeline entry.
    await producer.send({
      topic: `${ns.topicPrefix}${Topic.CaseLifecycle}`,
      messages: [
        {
          key: mine.caseId,
          value: JSON.stringify({
            eventId: acceptedId,
            type: 'case.accepted',
            schemaVersion: 1,
            key: mine.caseId,
            caseId: mine.caseId,
            correlationId: 'c',
            occurredAt: new Date().toISOString(),
            producer: 'test',
            payload: accepted,
          }),
        },
      ],
    });
    await emit('case.sla-warning', 'accepted', { residentVisible: false, note: 'internal' });
    const v = await waitFor(
      async () => {
        const r = await view(mine.trackingToken);
        return r.body.timeline.length >= 3 && r.body.status === 'accepted' ? r : undefined;
      },
      { what: 'the timeline' },
    );
    // Let the trailing (invisible) events land, then check nothing else showed up.
    await waitFor(
      async () =>
        (await sql(ns, `SELECT 1 FROM intake.inbox WHERE consumer = 'resident-read-model'`)).length >= 4,
      { what: 'all lifecycle events' },
    );
    const final = await view(mine.trackingToken);
    expect(final.body).toMatchObject({
      status: 'accepted',
      responsibleUnit: '阳光物业',
      expectedBy: resolveBy,
    });
    expect(final.body.timeline.map((t) => t.note)).toEqual([
      expect.any(String),
      '已派给阳光物业',
      '物业已签收',
    ]);
    expect(JSON.stringify(final.body)).not.toContain('internal');
    expect(v.status).toBe(200);
  });

  it('takes the events of one fetch together (one statement per chunk, its inbox rows in it) with the same view and timeline as one by one, and a chunk with a repeat one by one', async () => {
    const a = (await call<Answer>(`${intake.url}/v1/reports`, { body: report() })).body;
    const b = (await call<Answer>(`${intake.url}/v1/reports`, { body: report() })).body;
    const unknown = { caseId: randomUUID(), reference: 'R-20261123-9999' };
    const t0 = Date.now();
    const envelope = (
      c: { caseId: string; reference: string },
      type: string,
      status: Parameters<typeof lifecycle>[2],
      over: Parameters<typeof lifecycle>[3],
      i: number,
      eventId = randomUUID(),
    ) => ({
      eventId,
      type,
      schemaVersion: 1,
      key: c.caseId,
      caseId: c.caseId,
      correlationId: `chunk-${i}`,
      occurredAt: new Date(t0 + i).toISOString(),
      producer: 'test',
      payload: lifecycle(c.caseId, c.reference, status, {
        at: new Date(t0 + i * 1000).toISOString(),
        ...over,
      }),
    });
    const resolveBy = new Date(t0 + 86_400_000).toISOString();
    const acceptedA = envelope(a, 'case.accepted', 'accepted', { residentNote: 'A 已签收' }, 3);
    const events = [
      envelope(
        a,
        'case.assigned',
        'assigned',
        { unitName: '阳光物业', taskRole: 'lead', resolveBy, residentNote: 'A 已派单' },
        1,
      ),
      envelope(
        b,
        'case.assigned',
        'assigned',
        { unitName: '自来水公司', taskRole: 'lead', residentNote: 'B 已派单' },
        2,
      ),
      envelope(
        a,
        'case.assigned',
        'assigned',
        { unitName: '志愿服务队', taskRole: 'support', residentVisible: false },
        2,
      ),
      acceptedA,
      envelope(unknown, 'case.assigned', 'assigned', { unitName: 'Nobody', taskRole: 'lead' }, 4),
      envelope(b, 'case.info-requested', 'in_progress', { residentNote: 'B 请补充门牌号' }, 5),
      envelope(a, 'case.progress', 'in_progress', { residentVisible: false }, 6),
      envelope(b, 'case.info-provided', 'in_progress', { residentVisible: false }, 7),
    ];
    const chunkedBefore = await chunkEvents('chunk-handler');
    // One key: one partition, in this order, written by one request (so fetched together).
    await producer.send({
      topic: `${ns.topicPrefix}${Topic.CaseLifecycle}`,
      acks: -1,
      messages: events.map((e) => ({ key: a.caseId, value: JSON.stringify(e) })),
    });
    const ids = [...new Set(events.map((e) => e.eventId))];
    await waitFor(
      async () =>
        (
          await sql(
            ns,
            `SELECT 1 FROM intake.inbox WHERE consumer = 'resident-read-model' AND event_id = ANY($1::uuid[])`,
            [ids],
          )
        ).length === ids.length,
      { what: 'every event of the chunk' },
    );
    const viewOf = async (c: Answer) =>
      (
        await call<View>(`${intake.url}/v1/reports/${c.reference}`, {
          headers: { 'X-Tracking-Token': c.trackingToken },
        })
      ).body;
    const va = await viewOf(a);
    expect(va).toMatchObject({
      status: 'in_progress',
      responsibleUnit: '阳光物业',
      expectedBy: resolveBy,
      infoRequested: false,
    });
    expect(va.timeline.map((t) => t.note)).toEqual([expect.any(String), 'A 已派单', 'A 已签收']);
    const vb = await viewOf(b);
    expect(vb).toMatchObject({ status: 'in_progress', responsibleUnit: '自来水公司', infoRequested: false });
    expect(vb.timeline.map((t) => t.note)).toEqual([expect.any(String), 'B 已派单', 'B 请补充门牌号']);
    expect(await sql(ns, `SELECT 1 FROM intake.timeline WHERE case_id = $1`, [unknown.caseId])).toEqual([]);
    // They went through the chunk handler, not one by one.
    expect((await chunkEvents('chunk-handler')) - chunkedBefore).toBe(events.length);

    // A chunk with an event seen before (redelivered after a crash, say): its one statement fails
    // on the inbox key and writes nothing; the chunk is taken one event at a time, the repeat
    // adds nothing and the new event its entry.
    const fallbacks = async () => {
      const metrics = await (await fetch(`${intake.url}/metrics`)).text();
      return [
        ...metrics.matchAll(
          /consumer_chunk_fallbacks_total\{[^}]*consumer="resident-read-model"[^}]*\} (\d+)/g,
        ),
      ]
        .map((m) => Number(m[1]))
        .reduce((x, y) => x + y, 0);
    };
    const fallbacksBefore = await fallbacks();
    const progressB = envelope(b, 'case.progress', 'in_progress', { residentNote: 'B 处理中' }, 8);
    await producer.send({
      topic: `${ns.topicPrefix}${Topic.CaseLifecycle}`,
      acks: -1,
      messages: [acceptedA, progressB].map((e) => ({ key: a.caseId, value: JSON.stringify(e) })),
    });
    await waitFor(
      async () =>
        (
          await sql(
            ns,
            `SELECT 1 FROM intake.inbox WHERE consumer = 'resident-read-model' AND event_id = $1`,
            [progressB.eventId],
          )
        ).length === 1,
      { what: 'the event after the repeat' },
    );
    expect((await viewOf(a)).timeline.map((t) => t.note)).toEqual([
      expect.any(String),
      'A 已派单',
      'A 已签收',
    ]);
    expect((await viewOf(b)).timeline.map((t) => t.note)).toEqual([
      expect.any(String),
      'B 已派单',
      'B 请补充门牌号',
      'B 处理中',
    ]);
    expect((await fallbacks()) - fallbacksBefore).toBe(1);
  });

  it("gathers one fetch's events of many partitions into one statement, each case's view as one by one", async () => {
    const cases = await Promise.all(
      Array.from(
        { length: 8 },
        async () => (await call<Answer>(`${intake.url}/v1/reports`, { body: report() })).body,
      ),
    );
    const before = await chunkEvents('gathered');
    const t0 = Date.now();
    // Each case under its own key (eight cases over the twelve partitions), all in one request:
    // one fetch brings several partitions, each with its case's two events in order.
    const events = cases.flatMap((c, i) => [
      {
        c,
        type: 'case.assigned',
        payload: lifecycle(c.caseId, c.reference, 'assigned', {
          unitName: `单位${i}`,
          taskRole: 'lead',
          residentNote: `${i} 已派单`,
          at: new Date(t0 + 1000).toISOString(),
        }),
      },
      {
        c,
        type: 'case.accepted',
        payload: lifecycle(c.caseId, c.reference, 'accepted', {
          residentNote: `${i} 已签收`,
          at: new Date(t0 + 2000).toISOString(),
        }),
      },
    ]);
    await producer.send({
      topic: `${ns.topicPrefix}${Topic.CaseLifecycle}`,
      acks: -1,
      messages: events.map(({ c, type, payload }) => ({
        key: c.caseId,
        value: JSON.stringify({
          eventId: randomUUID(),
          type,
          schemaVersion: 1,
          key: c.caseId,
          caseId: c.caseId,
          correlationId: 'gather',
          occurredAt: payload.at,
          producer: 'test',
          payload,
        }),
      })),
    });
    await waitFor(
      async () =>
        (
          await sql(
            ns,
            `SELECT 1 FROM intake.reports WHERE case_id = ANY($1::uuid[]) AND status = 'accepted'`,
            [cases.map((c) => c.caseId)],
          )
        ).length === cases.length,
      { what: 'every case accepted' },
    );
    for (const [i, c] of cases.entries()) {
      const v = (
        await call<View>(`${intake.url}/v1/reports/${c.reference}`, {
          headers: { 'X-Tracking-Token': c.trackingToken },
        })
      ).body;
      expect(v).toMatchObject({ status: 'accepted', responsibleUnit: `单位${i}` });
      expect(v.timeline.map((t) => t.note)).toEqual([expect.any(String), `${i} 已派单`, `${i} 已签收`]);
    }
    // Some of them (a fetch may bring the partitions in more than one go) went in a gathered chunk.
    expect((await chunkEvents('gathered')) - before).toBeGreaterThanOrEqual(4);
  });

  it('takes information only when the center asked for it, and feedback only once resolved', async () => {
    const infoUrl = `${intake.url}/v1/reports/${mine.reference}/info`;
    const feedbackUrl = `${intake.url}/v1/reports/${mine.reference}/feedback`;
    const headers = { 'X-Tracking-Token': mine.trackingToken };
    expect((await call<{ code: string }>(infoUrl, { body: { text: '门牌 3-201' }, headers })).body.code).toBe(
      'INTAKE.INFO_NOT_REQUESTED',
    );
    const early = await call<{ code: string }>(feedbackUrl, {
      body: { confirmed: true, satisfaction: 'satisfied' },
      headers,
    });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('INTAKE.NOT_AWAITING_FEEDBACK');
    expect((await call(feedbackUrl, { body: { confirmed: true, satisfaction: 'satisfied' } })).status).toBe(
      404,
    );

    await emit('case.info-requested', 'in_progress', { residentNote: '请补充具体门牌号' });
    await waitFor(async () => (await view(mine.trackingToken)).body.infoRequested, { what: 'infoRequested' });
    const bad = await call<{ details: { fields: { field: string }[] } }>(infoUrl, {
      body: { text: '' },
      headers,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.details.fields[0].field).toBe('text');
    const info = await call(`${infoUrl}?token=${mine.trackingToken}`, { body: { text: '门牌 3-201' } });
    expect(info.status).toBe(202);
    const infoEvent = await resident.waitForEvent((e) => e.type === 'case.info-provided');
    expect(infoEvent).toMatchObject({
      key: mine.caseId,
      payload: { caseId: mine.caseId, reference: mine.reference, comment: '门牌 3-201' },
    });

    await emit('case.resolved', 'resolved', { residentNote: '已疏通' });
    await waitFor(async () => (await view(mine.trackingToken)).body.awaitingFeedback, {
      what: 'awaitingFeedback',
    });
    const invalid = await call<{ details: { fields: { field: string }[] } }>(feedbackUrl, {
      body: { confirmed: 'yes', satisfaction: 'great', extra: 1 },
      headers,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details.fields.map((f) => f.field).sort()).toEqual([
      'confirmed',
      'extra',
      'satisfaction',
    ]);
    const fb = await call(feedbackUrl, {
      body: { confirmed: true, satisfaction: 'basically_satisfied', comment: '挺快的' },
      headers,
    });
    expect(fb.status).toBe(202);
    const fbEvent = await resident.waitForEvent((e) => e.type === 'case.feedback-submitted');
    expect(fbEvent.payload).toMatchObject({
      caseId: mine.caseId,
      confirmed: true,
      satisfaction: 'basically_satisfied',
      comment: '挺快的',
    });
  });
});
