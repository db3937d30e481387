import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Producer } from 'kafkajs';
import { CaseReportedPayload, Topic } from '@app/contracts';
import { JsonLogger, metricsRegistry } from '@app/observability';
import { createTestNamespace, sampleReport, TestNamespace, TopicReader, waitFor } from '@app/testing';
import {
  ConsumerSpec,
  createKafka,
  EventConsumerRunner,
  kafkaSettingsFromEnv,
  KafkaSettings,
  messagingTablesUp,
  OutboxWriter,
  topicName,
  withInbox,
} from '@app/messaging';

const SCHEMA = 'inbox_claim_fixture';

/** `consumer`'s events_consumed_total with `outcome` in this process. */
async function consumed(consumer: string, outcome: string): Promise<number> {
  const values = (await metricsRegistry.getSingleMetric('events_consumed_total')!.get()).values;
  return values
    .filter((v) => v.labels.consumer === consumer && v.labels.outcome === outcome)
    .reduce((n, v) => n + v.value, 0);
}

/** For the consumer whose every event is meant to fail: its dead-letter errors stay out of the output. */
class SilentLogger extends JsonLogger {
  override child(): JsonLogger {
    return this;
  }
  override warn(): void {}
  override error(): void {}
}

/**
 * A handler that writes the event's inbox row in its own statement ('only-statement',
 * 'first-statement'), on real Postgres and Kafka: every event delivered twice has one effect, an
 * event the handler ignores is still recorded, and a handler that forgets the claim is refused.
 */
describe('inbox row written by the handler’s own statement', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  let settings: KafkaSettings;
  let producer: Producer;
  const logger = new JsonLogger('test', undefined, 'error');
  const writer = new OutboxWriter(SCHEMA, 'test');
  const runners: EventConsumerRunner[] = [];
  const savedBatch = process.env.CONSUMER_BATCH_SIZE;
  /** Every event sent twice so far, and whether the handlers ignore it: each new group reads them all. */
  const sent: { id: string; ignored: boolean }[] = [];

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'inboxclaim', partitions: 3 });
    ds = new DataSource({ type: 'postgres', url: ns.databaseUrl });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${SCHEMA}`);
    for (const sql of messagingTablesUp(SCHEMA)) await ds.query(sql);
    // No unique key: a second effect of one event would show as a second row.
    await ds.query(
      `CREATE TABLE ${SCHEMA}.effects (event_id uuid NOT NULL, consumer text NOT NULL, step int NOT NULL)`,
    );
    settings = kafkaSettingsFromEnv('test', ns.env);
    producer = createKafka(settings, logger).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    if (savedBatch === undefined) delete process.env.CONSUMER_BATCH_SIZE;
    else process.env.CONSUMER_BATCH_SIZE = savedBatch;
    for (const r of runners) await r.stop().catch(() => undefined);
    await producer?.disconnect();
    await ds?.destroy();
    await ns?.cleanup();
  });

  /** Sends each event's envelope `copies` times (a redelivery is the same bytes again). */
  async function send(descriptions: string[], copies: number): Promise<string[]> {
    const { envelopes } = writer.insertStatement(
      descriptions.map((d) => {
        const caseId = randomUUID();
        return {
          topic: Topic.CaseReported,
          type: 'case.reported',
          key: caseId,
          caseId,
          payload: sampleReport(caseId, d),
        };
      }),
      { correlationId: 'inbox-claim-e2e' },
    );
    const messages = envelopes.map((e) => ({ key: e.key, value: JSON.stringify(e) }));
    for (let i = 0; i < copies; i++)
      await producer.send({ topic: topicName(settings, Topic.CaseReported), acks: -1, messages });
    const ids = envelopes.map((e) => e.eventId);
    if (copies === 2) ids.forEach((id, i) => sent.push({ id, ignored: descriptions[i] === 'ignore' }));
    return ids;
  }

  function start(spec: ConsumerSpec, batchSize: number, log: JsonLogger = logger): Promise<void> {
    process.env.CONSUMER_BATCH_SIZE = String(batchSize);
    const runner = new EventConsumerRunner(
      ns.kafka,
      settings,
      'test',
      SCHEMA,
      ds,
      producer,
      { partitionsConcurrently: 3, ...spec },
      log,
    );
    runners.push(runner);
    return runner.start();
  }

  const effectsOf = async (consumer: string): Promise<Map<string, number>> =>
    new Map(
      (
        (await ds.query(
          `SELECT event_id, count(*)::int AS n FROM ${SCHEMA}.effects WHERE consumer = $1 GROUP BY event_id`,
          [consumer],
        )) as { event_id: string; n: number }[]
      ).map((r) => [r.event_id, r.n]),
    );
  const inboxOf = async (consumer: string): Promise<Set<string>> =>
    new Set(
      (
        (await ds.query(`SELECT event_id FROM ${SCHEMA}.inbox WHERE consumer = $1`, [consumer])) as {
          event_id: string;
        }[]
      ).map((r) => r.event_id),
    );

  const cases: { mode: 'only-statement' | 'first-statement'; batchSize: number }[] = [
    { mode: 'only-statement', batchSize: 1 },
    { mode: 'first-statement', batchSize: 1 },
    // Chunks: the runner writes the inbox rows; the same handlers get no claim.
    { mode: 'first-statement', batchSize: 32 },
    // A chunk of an 'only-statement' consumer goes by key lanes: each event its own statement
    // with its claim, a key's two copies one after the other.
    { mode: 'only-statement', batchSize: 32 },
  ];

  it.each(cases)(
    '$mode, batch size $batchSize: one effect per event delivered twice',
    async ({ mode, batchSize }) => {
      const name = `${mode}-${batchSize}`;
      const ids = await send(
        ['路灯不亮', '下水道堵了', 'ignore', '电梯困人', '楼道堆物', 'ignore', '噪音扰民'],
        2,
      );
      await start(
        {
          name,
          topics: [Topic.CaseReported],
          inbox: mode,
          handle: async (event, manager, meta) => {
            if ((event.payload as CaseReportedPayload).description === 'ignore') return;
            const [sql, params] = withInbox(
              meta.inbox,
              `INSERT INTO ${SCHEMA}.effects (event_id, consumer, step) VALUES ($1, $2, 1)`,
              [event.eventId, name],
            );
            await manager.query(sql, params);
            // A second statement in the same transaction rolls back with the first on a duplicate.
            if (mode === 'first-statement')
              await manager.query(
                `INSERT INTO ${SCHEMA}.effects (event_id, consumer, step) VALUES ($1, $2, 2)`,
                [event.eventId, name],
              );
          },
        },
        batchSize,
      );
      // This group reads the earlier tests' events too (the topic is shared): expect all of them.
      const all = sent.map((e) => e.id);
      const handledIds = sent.filter((e) => !e.ignored).map((e) => e.id);
      expect(all).toEqual(expect.arrayContaining(ids));
      const perEvent = mode === 'first-statement' ? 2 : 1;
      await waitFor(async () => (await inboxOf(name)).size === all.length || undefined, {
        timeoutMs: 30_000,
        what: `${name}: every event in the inbox`,
      });
      await waitFor(
        async () =>
          (await consumed(name, 'handled')) + (await consumed(name, 'duplicate')) >= 2 * all.length ||
          undefined,
        { timeoutMs: 30_000, what: `${name}: both copies consumed` },
      );
      const effects = await effectsOf(name);
      expect([...effects.keys()].sort()).toEqual([...handledIds].sort());
      for (const id of handledIds) expect(effects.get(id)).toBe(perEvent);
      expect(await inboxOf(name)).toEqual(new Set(all));
      expect(await consumed(name, 'handled')).toBe(all.length);
      expect(await consumed(name, 'duplicate')).toBe(all.length);
      expect(await consumed(name, 'dead_lettered')).toBe(0);
    },
  );

  it('dead-letters an event whose handler ran a statement without the claim (a duplicate would take effect twice)', async () => {
    const dlq = await TopicReader.open(ns, Topic.CaseReported, true);
    try {
      const name = 'forgets-claim';
      const [id] = await send(['路灯不亮'], 1);
      await start(
        {
          name,
          topics: [Topic.CaseReported],
          inbox: 'only-statement',
          handle: async (event, manager) => {
            await manager.query(
              `INSERT INTO ${SCHEMA}.effects (event_id, consumer, step) VALUES ($1, $2, 1)`,
              [event.eventId, name],
            );
          },
        },
        1,
        new SilentLogger('test', undefined, 'error'),
      );
      const dead = await dlq.waitForEvent((e) => e.eventId === id, 30_000);
      expect(dead.eventId).toBe(id);
      const message = dlq.messages.find((m) => m.event?.eventId === id)!;
      expect(Object.values(message.headers).join(' ')).toMatch(/first statement must carry meta.inbox/);
      expect(await effectsOf(name)).toEqual(new Map());
    } finally {
      await dlq.close();
    }
  });
});
