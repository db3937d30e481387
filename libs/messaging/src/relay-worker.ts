/**
 * The outbox relay's thread (started by RelayThread): an OutboxRelay with its own Kafka producer,
 * its own connections and its own event loop, so that a service busy with HTTP requests and
 * consumers does not hold back the relay's next read or send. Its numbers go to the main thread
 * as messages (the metrics registry is per thread).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'pg';
import { JsonLogger } from '@app/observability';
import { createKafka } from './kafka-settings';
import { OutboxRelay } from './relay';
import type { RelayThreadData, RelayThreadToMain } from './relay-thread';

const data = workerData as RelayThreadData;
const port = parentPort!;
const post = (m: RelayThreadToMain) => port.postMessage(m);

async function main(): Promise<void> {
  const logger = new JsonLogger(data.service, 'outbox', data.logLevel);
  const producer = createKafka(data.kafka, logger).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  // Counted here, added to the main thread's kafka_client_requests_total with each report.
  let requests: Record<string, number> = {};
  producer.on(producer.events.REQUEST, (e: { payload: { apiName: string } }) => {
    requests[e.payload.apiName] = (requests[e.payload.apiName] ?? 0) + 1;
  });
  const takeRequests = () => {
    const r = requests;
    requests = {};
    return r;
  };
  // Housekeeping (every 5 s: the backlog gauge, the purge of old rows) on a connection of its own.
  const pool = new Pool({
    connectionString: data.options.databaseUrl,
    max: 1,
    application_name: `outbox-housekeeping:${data.options.schema}`,
  });
  pool.on('error', () => undefined);
  const relay = new OutboxRelay(
    { query: async (sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows },
    producer,
    data.kafka,
    {
      ...data.options,
      observer: {
        published: (rows) => post({ kind: 'published', rows, requests: takeRequests() }),
        backlog: (rows, oldestAgeSeconds) => post({ kind: 'backlog', rows, oldestAgeSeconds }),
      },
      onLock: (holds) => post({ kind: 'lock', holds }),
      // The cycle's read answers every nudge given until now: the next one posts again.
      onCycle: () => Atomics.store(data.nudged, 0, 0),
    },
    logger,
  );
  await producer.connect();
  await relay.start();
  port.on('message', (m: 'nudge' | 'stop') => {
    if (m === 'nudge') relay.nudge();
    else
      void (async () => {
        await relay.stop().catch(() => undefined);
        await producer.disconnect().catch(() => undefined);
        await pool.end().catch(() => undefined);
        post({ kind: 'stopped', requests: takeRequests() });
        port.close();
      })();
  });
  post({ kind: 'ready' });
}

main().catch((err: Error) => {
  post({ kind: 'failed', error: err?.message ?? String(err) });
  port.close();
});
