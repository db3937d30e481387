import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { Producer } from 'kafkajs';
import { Topic, ENVELOPE_HEADERS } from '@app/contracts';
import { JsonLogger, bindWork } from '@app/observability';
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
} from '@app/messaging';

/** The work the test's own commits come from (the outbox stamps its correlation id). */
const work = { correlationId: 'relay-restart-test' };

const SCHEMA = 'relay_restart';
const infra = (cmd: string) =>
  execFileSync('bash', [join(REPO_ROOT, 'deploy/local/infra.sh'), cmd], { stdio: 'inherit' });

describe('outbox relay across a Postgres restart', () => {
  let ns: TestNamespace;
  let ds: DataSource;
  let producer: Producer;
  let relay: OutboxRelay;
  const writer = new OutboxWriter(SCHEMA, 'test');

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'relay-restart', partitions: 1 });
    ds = new DataSource({ type: 'postgres', url: ns.databaseUrl, extra: { connectionTimeoutMillis: 5000 } });
    await ds.initialize();
    await ds.query(`CREATE SCHEMA ${SCHEMA}`);
    for (const sql of messagingTablesUp(SCHEMA)) await ds.query(sql);
    const settings = kafkaSettingsFromEnv('test', ns.env);
    const logger = new JsonLogger('test', undefined, 'error');
    producer = createKafka(settings, logger).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
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
    infra('up');
    await relay?.stop();
    await producer?.disconnect();
    await ds?.destroy();
    await ns?.cleanup();
  });

  async function append(n: number): Promise<string[]> {
    const ids = Array.from({ length: n }, () => randomUUID());
    await ds.transaction((m) =>
      writer.append(
        bindWork(m, work),
        ids.map((id) => ({
          topic: Topic.CaseReported,
          type: 'case.reported',
          key: id,
          caseId: id,
          payload: sampleReport(id, '楼道灯坏了'),
        })),
      ),
    );
    relay.nudge();
    return ids;
  }

  it('publishes again, by itself, once Postgres is back', async () => {
    const reader = await TopicReader.open(ns, Topic.CaseReported);
    await append(3);
    await reader.waitForCount(() => true, 3);
    // Commits keep coming while Postgres restarts, so the relay is caught mid-cycle.
    let busy = true;
    const load = (async () => {
      while (busy) {
        await append(1).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    infra('restart-postgres');
    await new Promise((r) => setTimeout(r, 500));
    busy = false;
    await load;
    // The pool reconnects on demand; the relay must find its own way back (new connection, lock).
    const after = await waitFor(
      async () => {
        try {
          return await append(3);
        } catch {
          return undefined;
        }
      },
      { timeoutMs: 30_000, what: 'a commit after the restart' },
    );
    await reader.waitForCount((m) => after.includes(m.caseId ?? ''), 3, 30_000);
    await reader.close();
  });
});
