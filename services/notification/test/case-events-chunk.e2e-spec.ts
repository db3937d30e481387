import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { Client } from 'pg';
import { Topic } from '@app/contracts';
import { createTestNamespace, spawnService, ServiceProcess, TestNamespace, waitFor } from '@app/testing';
import {
  envelope,
  Envelope,
  lifecycleForUnit,
  notificationTestEnv,
  produce,
  unitReference,
  WebhookReceiver,
} from './support/notification-harness';

/**
 * A chunk of case events (one partition's, one fetch) is planned event by event and written with
 * one delivery insert: the rows must be those the events make one at a time.
 */
describe('case events taken as a chunk queue the same deliveries as one at a time', () => {
  let ns: TestNamespace;
  let svc: ServiceProcess;
  let producer: Producer;
  let receiver: WebhookReceiver;
  let db: Client;
  const unitId = `unit-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'notifchunk', partitions: 3 });
    receiver = new WebhookReceiver('chunk-secret', () => 'ok');
    const url = await receiver.start();
    producer = ns.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    svc = await spawnService('notification', notificationTestEnv(ns));
    db = new Client({ connectionString: ns.databaseUrl });
    await db.connect();
    await produce(producer, ns, Topic.ReferenceUnits, [unitReference(unitId, url, receiver.secret)]);
    await waitFor(
      async () =>
        (await db.query(`SELECT 1 FROM notification.units WHERE unit_id = $1`, [unitId])).rowCount === 1,
      { what: 'the unit in the directory' },
    );
  });

  afterAll(async () => {
    await db?.end();
    await svc?.kill('SIGTERM');
    await producer?.disconnect();
    await receiver?.close();
    await ns?.cleanup();
  });

  const handled = async (ids: string[]) =>
    Number(
      (
        await db.query(
          `SELECT count(*) AS n FROM notification.inbox WHERE consumer = 'case-events' AND event_id = ANY($1::uuid[])`,
          [ids],
        )
      ).rows[0].n,
    ) === ids.length;

  // One deadline for both cases: it is in the unit's message.
  const acceptBy = new Date(Date.now() + 3600_000).toISOString();

  /** The case's reported and co-reported events, then its lifecycle in order (the chunk candidates). */
  function story(caseId: string) {
    const reference = `WL-20261123-${caseId.slice(0, 6)}`;
    const reported = envelope(
      'case.reported',
      caseId,
      {
        caseId,
        reference,
        channel: 'app',
        description: 'Sewage from next door flows into my flat',
        location: { gridCode: 'grid-4' },
        reporter: { anonymous: false, confidential: false, phone: '+8613900001111', locale: 'zh-CN' },
        media: [],
        reportedAt: new Date().toISOString(),
      },
      caseId,
    );
    const coReported = envelope(
      'case.co-reported',
      caseId,
      {
        caseId,
        reference,
        coReportId: '8d5e0c3a-0f0e-4b8e-9d53-2a6f1c0b7e11',
        reporter: { anonymous: false, confidential: false, email: 'neighbour@resident.example' },
        at: new Date().toISOString(),
      },
      caseId,
    );
    const onTask = (type: string, over: Record<string, unknown>) =>
      lifecycleForUnit(type, caseId, unitId, { acceptBy, at: acceptBy, ...over });
    const lifecycle = [
      onTask('case.assigned', { status: 'assigned', residentVisible: true }),
      onTask('case.sla-warning', { status: 'assigned', deadline: 'accept' }),
      onTask('case.escalated', {
        status: 'assigned',
        priority: 'high',
        escalationAction: 'notify_supervisor',
        escalationStep: 1,
      }),
      onTask('case.accepted', { status: 'accepted', residentVisible: true }),
      onTask('case.resolved', { status: 'resolved', residentVisible: true, residentNote: '已疏通' }),
      onTask('case.closed', { status: 'closed', residentVisible: true, closedHow: 'center_verified' }),
    ];
    return { caseId, reference, reported, coReported, lifecycle };
  }

  /** A case's delivery rows, its own ids and reference masked; each row's event by its place in the story. */
  const rowsOf = async ({ caseId, reference, reported, coReported, lifecycle }: ReturnType<typeof story>) =>
    (
      await db.query(
        `SELECT array_position($3::uuid[], event_id) AS event_no, event_type, recipient, recipient_kind, channel,
                endpoint, template_key, locale, urgent,
                replace(replace(lane, $1::text, 'CASE'), $2::text, 'REF') AS lane,
                replace(subject, $2::text, 'REF') AS subject, replace(body, $2::text, 'REF') AS body,
                not_before IS NOT NULL AS held, dead_at IS NOT NULL AND channel = 'none' AS unreachable,
                rank() OVER (PARTITION BY lane ORDER BY seq) AS place_in_lane
         FROM notification.deliveries WHERE case_id = $1::uuid ORDER BY seq`,
        [caseId, reference, [reported, coReported, ...lifecycle].map((e) => e.eventId)],
      )
    ).rows;

  it('plans each event on the case as the events before it left it, and inserts the rows in order', async () => {
    const a = story(randomUUID());
    const b = story(randomUUID());
    const c = story(randomUUID());
    // Case one: each event alone, the next sent only once the last is handled.
    const alone: [Topic, Envelope<unknown>][] = [
      [Topic.CaseReported, a.reported],
      [Topic.CaseResident, a.coReported],
      ...a.lifecycle.map((e): [Topic, Envelope<unknown>] => [Topic.CaseLifecycle, e]),
    ];
    for (const [topic, e] of alone) {
      await produce(producer, ns, topic, [e]);
      await waitFor(() => handled([e.eventId]), { what: `${e.type} of case one` });
    }
    // Cases two and three: each topic's events in one request under one key (one partition, one
    // fetch: one chunk), the two cases' interleaved.
    const chunkEvents = async () => {
      const text = await (await fetch(`${svc.url}/metrics`)).text();
      const sum = /consumer_chunk_events_sum\{[^}]*consumer="case-events",by="chunk-handler"\} (\d+)/.exec(
        text,
      );
      return Number(sum?.[1] ?? 0);
    };
    const together = async (topic: Topic, events: Envelope<unknown>[]) => {
      const before = await chunkEvents();
      await producer.send({
        topic: `${ns.topicPrefix}${topic}`,
        acks: -1,
        messages: events.map((e) => ({ key: b.caseId, value: JSON.stringify(e) })),
      });
      await waitFor(() => handled(events.map((e) => e.eventId)), { what: `the chunk on ${topic}` });
      expect((await chunkEvents()) - before).toBe(events.length);
    };
    await together(Topic.CaseReported, [b.reported, c.reported]);
    await together(Topic.CaseResident, [b.coReported, c.coReported]);
    await together(
      Topic.CaseLifecycle,
      b.lifecycle.flatMap((e, i) => [e, c.lifecycle[i]]),
    );

    const expected = await rowsOf(a);
    // Every event queued something: residents (two, on their channels), the unit's webhook, its
    // supervisor, the center.
    expect(new Set(expected.map((r) => r.event_type))).toEqual(
      new Set(['case.reported', 'case.co-reported', ...a.lifecycle.map((e) => e.type)]),
    );
    expect(expected.some((r) => r.recipient === `unit:${unitId}` && r.channel === 'webhook')).toBe(true);
    expect(
      expected.filter((r) => r.event_type === 'case.closed' && r.recipient_kind === 'resident'),
    ).toHaveLength(2);
    expect(expected.every((r) => r.event_no !== null)).toBe(true);
    expect([await rowsOf(b), await rowsOf(c)]).toEqual([expected, expected]);
  });
});
