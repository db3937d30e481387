import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ENVELOPE_HEADERS, Topic } from '@app/contracts';
import { bindWork, JsonLogger } from '@app/observability';
import {
  createTestNamespace,
  REPO_ROOT,
  sampleReport,
  TestNamespace,
  TopicReader,
  waitFor,
} from '@app/testing';
import {
  createKafka,
  kafkaSettingsFromEnv,
  messagingTablesUp,
  OutboxRelay,
  OutboxWriter,
  relayConnection,
} from '@app/messaging';
import type { Producer } from 'kafkajs';

/** The work the test's own commits come from (the outbox stamps its correlation id). */
const work = { correlationId: 'outbox-test' };

const PRODUCER_SCHEMA = 'producer_fixture';

function startConsumer(
  ns: TestNamespace,
  delayMs: number,
): { proc: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const proc = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, 'fixtures/consumer-fixture.ts')],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...ns.env, HANDLER_DELAY_MS: String(delayMs) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('FIXTURE_READY')) resolve();
    });
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    proc.once('exit', (code) => reject(new Error(`fixture exited ${code}: ${out.slice(-2000)}`)));
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, ready, exited };
}

describe('outbox → Kafka → consumer in another process', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  let producer: Producer;
  let relay: OutboxRelay;
  const writer = new OutboxWriter(PRODUCER_SCHEMA, 'test');

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'outbox', partitions: 3 });
    ds = new DataSource({ type: 'postgres', url: ns.databaseUrl });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${PRODUCER_SCHEMA}`);
    for (const sql of messagingTablesUp(PRODUCER_SCHEMA)) await ds.query(sql);
    const settings = { ...kafkaSettingsFromEnv('test', ns.env) };
    const logger = new JsonLogger('test', undefined, 'error');
    producer = createKafka(settings, logger).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    relay = new OutboxRelay(
      ds,
      producer,
      settings,
      { schema: PRODUCER_SCHEMA, databaseUrl: ns.databaseUrl, headers: ENVELOPE_HEADERS },
      logger,
    );
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await producer?.disconnect();
    await ds?.destroy();
    await ns?.cleanup();
  });

  const effects = async (): Promise<{ event_id: string; n: number }[]> =>
    ds
      .query(`SELECT event_id, count(*)::int AS n FROM consumer_fixture.effects GROUP BY event_id`)
      .catch(() => []);

  it('publishes in one transaction with the state change, and has exactly one effect per event across a SIGKILL mid-batch and a redelivery', async () => {
    const total = 300;
    const correlation = 'corr-outbox-test';
    // A rolled-back transaction publishes nothing.
    await expect(
      ds.transaction(async (m) => {
        await writer.append(bindWork(m, work), [
          {
            topic: Topic.CaseReported,
            type: 'case.reported',
            key: randomUUID(),
            payload: sampleReport(randomUUID()),
          },
        ]);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');

    const caseIds = Array.from({ length: total }, () => randomUUID());
    await ds.transaction(async (m) => {
      bindWork(m, { correlationId: correlation });
      for (let i = 0; i < total; i += 50) {
        await writer.append(
          m,
          caseIds.slice(i, i + 50).map((id) => ({
            topic: Topic.CaseReported,
            type: 'case.reported',
            key: id,
            caseId: id,
            payload: sampleReport(id),
          })),
        );
      }
    });
    const reader = await TopicReader.open(ns, Topic.CaseReported);
    await reader.waitForCount(() => true, total);
    expect(reader.messages.length).toBe(total);
    expect(reader.messages[0].headers[ENVELOPE_HEADERS.correlationId]).toBe(correlation);
    // Marked published by the relay's next statement once the broker acknowledged (≤ one poll).
    await waitFor(
      async () =>
        (
          await ds.query(
            `SELECT count(*)::int AS unpublished FROM ${PRODUCER_SCHEMA}.outbox WHERE published_at IS NULL`,
          )
        )[0].unpublished === 0,
      { timeoutMs: 5_000, what: 'every row marked published' },
    );

    // First consumer is slow; kill it (no goodbye) once part of the stream is handled.
    const first = startConsumer(ns, 15);
    await first.ready;
    await waitFor(async () => (await effects()).length >= 40, { timeoutMs: 60_000, what: 'some effects' });
    first.proc.kill('SIGKILL');
    await first.exited;
    const handledBeforeKill = (await effects()).length;
    expect(handledBeforeKill).toBeLessThan(total);

    const second = startConsumer(ns, 0);
    await second.ready;
    await waitFor(async () => (await effects()).length === total, { timeoutMs: 60_000, what: 'all effects' });

    // Redeliver every event as it is on the topic (same eventIds): no second effect.
    await producer.send({
      topic: `${ns.topicPrefix}${Topic.CaseReported}`,
      acks: -1,
      messages: reader.messages.slice(0, 100).map((m) => ({ key: m.key, value: m.raw, headers: m.headers })),
    });
    const marker = randomUUID();
    await ds.transaction((m) =>
      writer.append(bindWork(m, work), [
        {
          topic: Topic.CaseReported,
          type: 'case.reported',
          key: marker,
          caseId: marker,
          payload: sampleReport(marker),
        },
      ]),
    );
    relay.nudge();
    await waitFor(async () => (await effects()).length === total + 1, {
      timeoutMs: 30_000,
      what: 'the marker event',
    });
    const rows = await effects();
    expect(rows.length).toBe(total + 1);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);

    // Graceful stop finishes and commits.
    second.proc.kill('SIGTERM');
    await second.exited;
    expect(second.proc.exitCode).toBe(0);
    await reader.close();
  });

  it('dead-letters a poison message with the reason and still processes the next valid one', async () => {
    const consumer = startConsumer(ns, 0);
    await consumer.ready;
    const dlq = await TopicReader.open(ns, Topic.CaseReported, true);
    const poisonKey = randomUUID();
    await producer.send({
      topic: `${ns.topicPrefix}${Topic.CaseReported}`,
      acks: -1,
      messages: [
        {
          key: poisonKey,
          value: JSON.stringify({ eventId: randomUUID(), type: 'case.reported', payload: {} }),
        },
        { key: poisonKey, value: 'this is not json' },
      ],
    });
    const good = randomUUID();
    await ds.transaction((m) =>
      writer.append(bindWork(m, work), [
        {
          topic: Topic.CaseReported,
          type: 'case.reported',
          key: poisonKey,
          caseId: good,
          payload: sampleReport(good),
        },
      ]),
    );
    relay.nudge();
    await waitFor(
      async () =>
        (await ds.query(`SELECT 1 FROM consumer_fixture.effects WHERE case_id = $1`, [good])).length === 1,
      {
        timeoutMs: 30_000,
        what: 'the valid message after the poison ones',
      },
    );
    await waitFor(() => dlq.messages.length >= 2, { what: 'two dead letters' });
    const reasons = dlq.messages.map((m) => m.headers[ENVELOPE_HEADERS.dlqReason]);
    expect(reasons[0]).toMatch(/invalid envelope/);
    expect(reasons[1]).toMatch(/not JSON/);
    expect(dlq.messages[0].headers[ENVELOPE_HEADERS.dlqSourceTopic]).toBe(Topic.CaseReported);
    await dlq.close();
    consumer.proc.kill('SIGTERM');
    await consumer.exited;
  });

  it('relays on a connection of its own whose statements are prepared, planned once, and whose marks do not wait for the WAL flush', async () => {
    const name = `outbox-relay:${PRODUCER_SCHEMA}`;
    const sessions = await ds.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1`,
      [name],
    );
    expect(sessions[0].n).toBe(1);
    const conn = await relayConnection(ns.databaseUrl, PRODUCER_SCHEMA);
    try {
      const show = async (setting: string) =>
        ((await conn.query(`SELECT current_setting('${setting}') AS v`)).rows[0] as { v: string }).v;
      expect(await show('synchronous_commit')).toBe('off');
      expect(await show('plan_cache_mode')).toBe('force_generic_plan');
      const text = `SELECT count(*)::int AS n FROM ${PRODUCER_SCHEMA}.outbox WHERE id = ANY($1::bigint[])`;
      for (let i = 0; i < 3; i++) await conn.query(text, [[1, 2, 3]]);
      const prepared = (
        await conn.query(`SELECT name, generic_plans, custom_plans FROM pg_prepared_statements`)
      ).rows as { name: string; generic_plans: string; custom_plans: string }[];
      expect(prepared).toEqual([{ name: 'outbox_relay_1', generic_plans: '3', custom_plans: '0' }]);
    } finally {
      await conn.end();
    }
  });
});
