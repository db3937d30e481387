import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { Topic, ENVELOPE_HEADERS } from '@app/contracts';
import { bindWork, JsonLogger, metricsRegistry } from '@app/observability';
import { createTestNamespace, sampleReport, TestNamespace, TopicReader, waitFor } from '@app/testing';
import { kafkaSettingsFromEnv, messagingTablesUp, OutboxWriter, RelayThread } from '@app/messaging';

const SCHEMA = 'relay_thread_fixture';

/** A metric's value in this (the main) thread's registry, summed over label sets matching `labels`. */
async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = metricsRegistry.getSingleMetric(name);
  if (!m) return 0;
  return (await m.get()).values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .filter((v) => !('metricName' in v) || v.metricName === name || v.metricName === `${name}_count`)
    .reduce((n, v) => n + v.value, 0);
}

/**
 * The relay on a thread of its own (the services' default), on real Postgres and Kafka: committed
 * rows reach the topic in order and are marked published, a nudge from this thread wakes it, its
 * numbers land in this thread's metrics, and a stop ends the thread having marked what was sent.
 */
describe('outbox relay on its own thread', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  let relay: RelayThread;
  let reader: TopicReader;
  const writer = new OutboxWriter(SCHEMA, 'test');

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'relaythread', partitions: 3 });
    ds = new DataSource({ type: 'postgres', url: ns.databaseUrl });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${SCHEMA}`);
    for (const sql of messagingTablesUp(SCHEMA)) await ds.query(sql);
    reader = await TopicReader.open(ns, Topic.CaseReported);
    relay = new RelayThread(
      {
        service: 'test',
        logLevel: 'error',
        kafka: kafkaSettingsFromEnv('test', ns.env),
        // A poll longer than the test's waits: only a nudge gets a row out in time.
        options: { schema: SCHEMA, databaseUrl: ns.databaseUrl, pollMs: 60_000, headers: ENVELOPE_HEADERS },
      },
      new JsonLogger('test', undefined, 'error'),
    );
    await relay.start();
  });

  afterAll(async () => {
    await relay?.stop();
    await reader?.close();
    await ds?.destroy();
    await ns?.cleanup();
  });

  async function commit(caseId: string, n: number): Promise<string[]> {
    const envelopes = await ds.transaction((m) =>
      writer.append(
        bindWork(m, { correlationId: 'relay-thread' }),
        Array.from({ length: n }, (_, i) => ({
          topic: Topic.CaseReported,
          type: 'case.reported',
          key: caseId,
          caseId,
          payload: sampleReport(caseId, `第${i}条`),
        })),
      ),
    );
    return envelopes.map((e) => e.eventId);
  }

  it('publishes committed rows in order when nudged, marks them, and reports to this thread', async () => {
    await waitFor(() => relay.relaying || undefined, { what: 'the thread to hold the relay lock' });
    const publishedBefore = await metric('outbox_published_total', { topic: Topic.CaseReported });
    const requestsBefore = await metric('kafka_client_requests_total', {
      client: 'relay-producer',
      api: 'Produce',
    });
    const caseId = randomUUID();
    const ids = await commit(caseId, 5);
    relay.nudge();
    await reader.waitForCount((e) => e.caseId === caseId, 5, 10_000);
    expect(reader.events((e) => e.caseId === caseId).map((e) => e.eventId)).toEqual(ids);
    // Marked by the relay's next statement (its next cycle: another commit and nudge).
    const other = randomUUID();
    await commit(other, 1);
    relay.nudge();
    await reader.waitForCount((e) => e.caseId === other, 1, 10_000);
    await waitFor(
      async () =>
        (
          (await ds.query(
            `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE event_id = ANY($1::uuid[]) AND published_at IS NOT NULL`,
            [ids],
          )) as { n: number }[]
        )[0].n === 5 || undefined,
      { what: 'the five rows marked published' },
    );
    expect((await metric('outbox_published_total', { topic: Topic.CaseReported })) - publishedBefore).toBe(6);
    expect(
      (await metric('kafka_client_requests_total', { client: 'relay-producer', api: 'Produce' })) -
        requestsBefore,
    ).toBeGreaterThanOrEqual(2);
  });

  it('posts one message for the nudges given before its relay next reads, and loses none', async () => {
    await waitFor(() => relay.relaying || undefined, { what: 'the thread to hold the relay lock' });
    const posted = jest.spyOn(Worker.prototype, 'postMessage');
    try {
      const first = randomUUID();
      await commit(first, 1);
      for (let i = 0; i < 100; i++) relay.nudge();
      // The thread clears the flag only as a cycle begins (a read away): not 100 times in this loop.
      expect(posted.mock.calls.length).toBeGreaterThanOrEqual(1);
      expect(posted.mock.calls.length).toBeLessThan(10);
      await reader.waitForCount((e) => e.caseId === first, 1, 10_000);
      // Commits and nudges while cycles run (the poll is a minute away): each is read by a cycle
      // that began after its nudge, so all arrive.
      const cases = Array.from({ length: 20 }, () => randomUUID());
      await Promise.all(
        cases.map(async (c, i) => {
          await new Promise((r) => setTimeout(r, i * 5));
          await commit(c, 1);
          relay.nudge();
        }),
      );
      for (const c of cases) await reader.waitForCount((e) => e.caseId === c, 1, 10_000);
    } finally {
      posted.mockRestore();
    }
  });

  it('stops: the thread ends, having marked what the broker acknowledged', async () => {
    const caseId = randomUUID();
    const ids = await commit(caseId, 3);
    relay.nudge();
    await reader.waitForCount((e) => e.caseId === caseId, 3, 10_000);
    await relay.stop();
    expect(relay.relaying).toBe(false);
    const [{ n }] = (await ds.query(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.outbox WHERE event_id = ANY($1::uuid[]) AND published_at IS NOT NULL`,
      [ids],
    )) as { n: number }[];
    expect(n).toBe(3);
    // Started again for afterAll's stop (and to show a stopped relay thread can start again).
    await relay.start();
  });
});
