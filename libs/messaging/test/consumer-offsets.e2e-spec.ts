import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { Admin, Producer } from 'kafkajs';
import { Topic, ENVELOPE_HEADERS } from '@app/contracts';
import { JsonLogger, metricsRegistry, bindWork } from '@app/observability';
import { createTestNamespace, sampleReport, TestNamespace, waitFor } from '@app/testing';
import {
  createKafka,
  EventConsumerRunner,
  kafkaSettingsFromEnv,
  KafkaSettings,
  messagingTablesUp,
  OutboxRelay,
  OutboxWriter,
} from '@app/messaging';

/** The work the test's own commits come from (the outbox stamps its correlation id). */
const work = { correlationId: 'offsets-test' };

const SCHEMA = 'offsets_fixture';

/** OffsetCommit requests the runner named `name` has sent in this process. */
async function offsetCommits(name: string): Promise<number> {
  const metric = metricsRegistry.getSingleMetric('kafka_client_requests_total');
  const values = (await metric!.get()).values;
  return values
    .filter((v) => v.labels.client === `consumer:${name}` && v.labels.api === 'OffsetCommit')
    .reduce((n, v) => n + v.value, 0);
}

describe('consumer offsets: committed once per interval and on stop, not after every batch', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  let settings: KafkaSettings;
  let producer: Producer;
  let relay: OutboxRelay;
  let admin: Admin;
  const logger = new JsonLogger('test', undefined, 'error');
  const writer = new OutboxWriter(SCHEMA, 'test');
  const savedInterval = process.env.CONSUMER_COMMIT_INTERVAL_MS;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'offsets', partitions: 3 });
    ds = new DataSource({ type: 'postgres', url: ns.databaseUrl });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${SCHEMA}`);
    for (const sql of messagingTablesUp(SCHEMA)) await ds.query(sql);
    await ds.query(`CREATE TABLE ${SCHEMA}.effects (event_id uuid NOT NULL)`);
    settings = kafkaSettingsFromEnv('test', ns.env);
    const kafka = createKafka(settings, logger);
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
    relay = new OutboxRelay(
      ds,
      producer,
      settings,
      { schema: SCHEMA, databaseUrl: ns.databaseUrl, headers: ENVELOPE_HEADERS },
      logger,
    );
    await relay.start();
  });

  afterAll(async () => {
    if (savedInterval === undefined) delete process.env.CONSUMER_COMMIT_INTERVAL_MS;
    else process.env.CONSUMER_COMMIT_INTERVAL_MS = savedInterval;
    await relay?.stop();
    await admin?.disconnect();
    await producer?.disconnect();
    await ds?.destroy();
    await ns?.cleanup();
  });

  const handled = async (): Promise<number> =>
    (await ds.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.effects`))[0].n;

  function runner(name: string): EventConsumerRunner {
    return new EventConsumerRunner(
      createKafka(settings, logger),
      settings,
      'test',
      SCHEMA,
      ds,
      producer,
      {
        name,
        topics: [Topic.CaseReported],
        partitionsConcurrently: 3,
        handle: async (event, manager) => {
          await manager.query(`INSERT INTO ${SCHEMA}.effects (event_id) VALUES ($1)`, [event.eventId]);
        },
      },
      logger,
    );
  }

  /** Publishes `rounds` small commits, `gapMs` apart: each reaches the consumer as its own batch. */
  async function publish(rounds: number, perRound: number, gapMs: number): Promise<void> {
    for (let r = 0; r < rounds; r++) {
      await ds.transaction((m) =>
        writer.append(
          bindWork(m, work),
          Array.from({ length: perRound }, () => {
            const id = randomUUID();
            return {
              topic: Topic.CaseReported,
              type: 'case.reported',
              key: id,
              caseId: id,
              payload: sampleReport(id, '路灯不亮'),
            };
          }),
        ),
      );
      relay.nudge();
      await new Promise((res) => setTimeout(res, gapMs));
    }
  }

  /** Committed offsets of the group minus the topic's end offsets, summed over partitions. */
  async function uncommitted(groupId: string): Promise<number> {
    const topic = `${ns.topicPrefix}${Topic.CaseReported}`;
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const ends = await admin.fetchTopicOffsets(topic);
    return ends.reduce((n, e) => {
      const c = Number(committed.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
      return n + Number(e.high) - Math.max(0, c);
    }, 0);
  }

  it('commits handled offsets within the interval, also when the stream goes quiet, with far fewer commits than batches', async () => {
    process.env.CONSUMER_COMMIT_INTERVAL_MS = '500';
    const r = runner('interval');
    await r.start();
    const started = Date.now();
    await publish(30, 2, 40);
    await waitFor(async () => (await handled()) === 60, { timeoutMs: 60_000, what: '60 events handled' });
    // Nothing more arrives: the timer, not a next batch, commits the tail.
    await waitFor(async () => (await uncommitted(r.groupId)) === 0, {
      timeoutMs: 5_000,
      what: 'all offsets committed while idle',
    });
    const elapsed = Date.now() - started;
    const commits = await offsetCommits('interval');
    // 30 separate commits arrive as ~30 batches; kafkajs's autoCommit sent one OffsetCommit each.
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 2);
    expect(commits).toBeLessThan(20);
    // Idle: no further commit once everything is committed.
    await new Promise((res) => setTimeout(res, 1200));
    expect(await offsetCommits('interval')).toBe(commits);
    await r.stop();
  });

  it('commits what it handled when it stops, before the interval comes round', async () => {
    process.env.CONSUMER_COMMIT_INTERVAL_MS = '600000';
    const before = await handled();
    const r = runner('on-stop');
    await r.start();
    await publish(5, 4, 20);
    // A new group reads the topic from the beginning: the first test's 60 events and these 20.
    await waitFor(async () => (await handled()) === before + 80, {
      timeoutMs: 60_000,
      what: '80 events handled',
    });
    expect(await uncommitted(r.groupId)).toBeGreaterThan(0);
    await r.stop();
    expect(await uncommitted(r.groupId)).toBe(0);
  });
});
