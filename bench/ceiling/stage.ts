/**
 * One stage of the bare pipeline (the machine's ceiling for the same work), run as its own
 * process like the real service it stands for: `node dist/bench/ceiling/stage.js <role>`.
 *
 * Per case it does what the real path does in HTTP requests, Postgres commits and Kafka hops,
 * with the same libraries (node http, pg, kafkajs idempotent producer with acks=all) and no
 * business logic:
 *   intake        POST /v1/reports → commit(report + outbox) → 201; relay → `reported` (1 commit/batch);
 *                 consumes `lifecycle` → commit(inbox + resident view)
 *   routing       consumes `reported` → commit(inbox + decision + outbox); relay → `routed`
 *   dispatch      consumes `routed` → commit(inbox + case + task + ops view + outbox); relay → `lifecycle` (assigned);
 *                 POST /tasks/:id/accept|resolve → commit(task + case + ops view + outbox) → `lifecycle`;
 *   notification  consumes `lifecycle` → commit(inbox + delivery); sends (assigned: webhook POST to
 *                 the unit's receiver) → commit(delivery sent)
 * Each commit is one statement (a CTE writing inbox, effect rows and outbox row in one round trip).
 * Freedoms it takes, which the real services may take too: eachBatch with the messages of a batch
 * handled concurrently (one transaction each), the relay fed in memory after commit instead of
 * polling its outbox table, and batched sends.
 */
import { randomUUID } from 'node:crypto';
import { Agent, createServer, IncomingMessage, request, ServerResponse } from 'node:http';
import { Kafka, logLevel, Producer } from 'kafkajs';
import { Pool } from 'pg';
import { installKafkajsIdleFix } from '@app/messaging';
import { CeilingRole, CEILING_ROLES } from './schema';

const role = process.argv[2] as CeilingRole;
if (!CEILING_ROLES.includes(role)) {
  process.stderr.write(`usage: stage.js <${CEILING_ROLES.join('|')}>\n`);
  process.exit(2);
}
const env = (k: string, d?: string): string => {
  const v = process.env[k] ?? d;
  if (v === undefined) throw new Error(`missing ${k}`);
  return v;
};
const prefix = env('CEILING_TOPIC_PREFIX');
const port = Number(env('PORT', '0'));
const partitions = Number(env('KAFKA_PARTITIONS', '12'));
const pool = new Pool({ connectionString: env('DATABASE_URL'), max: Number(env('DB_POOL_SIZE', '20')) });
// The same kafkajs as the services, with the same fix of its idle timer spin.
installKafkajsIdleFix();
const kafka = new Kafka({
  clientId: `ceiling-${role}`,
  brokers: env('KAFKA_BROKERS').split(','),
  logLevel: logLevel.ERROR,
});
const producer: Producer = kafka.producer({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
});
const agent = new Agent({ keepAlive: true, maxSockets: 32 });
let ready = false;

interface Envelope {
  eventId: string;
  type: string;
  caseId: string;
  occurredAt: string;
  producer: string;
  payload: Record<string, unknown>;
}

// ---- outbox + relay (fed after commit; one commit per published batch) ----
const relayQueue: { id: string; topic: string; key: string; value: string }[] = [];
let relayBusy = false;

/** What one commit publishes: the outbox row's topic and envelope (the row id comes back from SQL). */
interface Publish {
  topic: string;
  env: Envelope;
  value: string;
}

function publish(topic: string, env: Envelope): Publish {
  return { topic, env, value: JSON.stringify(env) };
}

/**
 * One commit = one statement: the effect rows and the outbox row written by a single CTE in
 * autocommit (one round trip, one WAL flush), the outbox id returned for the relay.
 */
async function commit(sql: string, params: unknown[], pub?: Publish): Promise<boolean> {
  const r = await pool.query<{ id: string }>(sql, params);
  if (r.rows.length === 0) return false;
  if (pub) {
    relayQueue.push({ id: r.rows[0].id, topic: pub.topic, key: pub.env.caseId, value: pub.value });
    void relay();
  }
  return true;
}

async function relay(): Promise<void> {
  if (relayBusy) return;
  relayBusy = true;
  try {
    while (relayQueue.length) {
      const batch = relayQueue.splice(0, 500);
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const m of batch) {
        const l = byTopic.get(m.topic) ?? [];
        l.push({ key: m.key, value: m.value });
        byTopic.set(m.topic, l);
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([t, messages]) => ({ topic: `${prefix}${t}`, messages })),
          });
          await pool.query(
            `UPDATE ceiling.outbox_${role} SET published_at = now() WHERE id = ANY($1::bigint[])`,
            [batch.map((m) => m.id)],
          );
          break;
        } catch (err) {
          process.stderr.write(`relay attempt ${attempt} failed: ${(err as Error).message}\n`);
          await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
        }
      }
    }
  } finally {
    relayBusy = false;
  }
}

function envelope(type: string, caseId: string, payload: Record<string, unknown>): Envelope {
  return {
    eventId: randomUUID(),
    type,
    caseId,
    occurredAt: new Date().toISOString(),
    producer: role,
    payload,
  };
}

// ---- consumers ----
/**
 * The effect of one event as SQL that runs after the inbox insert (`inb` CTE, params $1-$3 are
 * the inbox's): further CTEs and a final SELECT/INSERT that returns one row (`id`) when applied.
 */
interface Effect {
  ctes: string[];
  final: string;
  params: unknown[];
  pub?: Publish;
}

async function consume(
  name: string,
  topic: string,
  effect: (e: Envelope) => Effect,
  after?: (e: Envelope, id: string) => Promise<void>,
) {
  const consumer = kafka.consumer({
    groupId: `${prefix}${role}.${name}`,
    maxWaitTimeInMs: 250,
    sessionTimeout: 10000,
    heartbeatInterval: 3000,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}${topic}`, fromBeginning: true });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  // Offsets committed once a second, as the services' consumers do (kafkajs's autoCommit would
  // send one OffsetCommit per batch).
  const handled = new Map<number, string>();
  setInterval(() => {
    const offsets = [...handled.entries()].map(([partition, offset]) => ({
      topic: `${prefix}${topic}`,
      partition,
      offset,
    }));
    handled.clear();
    if (offsets.length) void consumer.commitOffsets(offsets).catch(() => undefined);
  }, 1000).unref();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: partitions,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const events = batch.messages.map((m) => JSON.parse(m.value!.toString('utf8')) as Envelope);
      await Promise.all(
        events.map(async (e) => {
          const eff = effect(e);
          const sql =
            `WITH inb AS (INSERT INTO ceiling.inbox_${role} (event_id, consumer, topic) VALUES ($1, $2, $3)
               ON CONFLICT DO NOTHING RETURNING event_id)` +
            eff.ctes.map((c, i) => `, e${i} AS (${c})`).join('') +
            ` ${eff.final}`;
          for (let attempt = 0; ; attempt++) {
            try {
              const r = await pool.query<{ id: string }>(sql, [e.eventId, name, topic, ...eff.params]);
              if (r.rows.length && eff.pub) {
                relayQueue.push({
                  id: r.rows[0].id,
                  topic: eff.pub.topic,
                  key: e.caseId,
                  value: eff.pub.value,
                });
                void relay();
              }
              if (r.rows.length && after) await after(e, r.rows[0].id);
              break;
            } catch (err) {
              process.stderr.write(`${name} attempt ${attempt} failed: ${(err as Error).message}\n`);
              await new Promise((res) => setTimeout(res, Math.min(2000, 50 * 2 ** attempt)));
            }
          }
        }),
      );
      const last = batch.messages[batch.messages.length - 1].offset;
      resolveOffset(last);
      handled.set(batch.partition, (BigInt(last) + 1n).toString());
      await heartbeat();
    },
  });
  const deadline = Date.now() + 30_000;
  while (!joined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

/** An effect whose final statement writes the outbox row (returns its id). */
function withOutbox(ctes: string[], params: unknown[], pub: Publish): Effect {
  const n = 3 + params.length;
  return {
    ctes,
    final: `INSERT INTO ceiling.outbox_${role} (topic, message_key, envelope)
            SELECT $${n + 1}, $${n + 2}, $${n + 3}::jsonb FROM inb RETURNING id`,
    params: [...params, pub.topic, pub.env.caseId, pub.value],
    pub,
  };
}

function postWebhook(url: string, body: unknown): Promise<number> {
  const u = new URL(url);
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(data.length) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('webhook timed out')));
    req.on('error', reject);
    req.end(data);
  });
}

// ---- HTTP ----
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) })
    .end(data);
}

type Route = (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void>;
const routes: { method: string; pattern: RegExp; handle: Route }[] = [];

async function main(): Promise<void> {
  await producer.connect();
  if (role === 'intake') {
    routes.push({
      method: 'POST',
      pattern: /^\/v1\/reports$/,
      handle: async (_req, res, raw) => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        const caseId = randomUUID();
        const pub = publish('reported', envelope('case.reported', caseId, body));
        await commit(
          `WITH r AS (INSERT INTO ceiling.reports (case_id, body) VALUES ($1, $2::jsonb) RETURNING case_id)
           INSERT INTO ceiling.outbox_intake (topic, message_key, envelope) SELECT $3, $1, $4::jsonb FROM r RETURNING id`,
          [caseId, raw, pub.topic, pub.value],
          pub,
        );
        json(res, 201, { caseId });
      },
    });
    await consume('resident-view', 'lifecycle', (e) => ({
      ctes: [],
      final: `INSERT INTO ceiling.resident_view (case_id, status) SELECT $4, $5 FROM inb
              ON CONFLICT (case_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now() RETURNING 1 AS id`,
      params: [e.caseId, e.type],
    }));
  }
  if (role === 'routing') {
    await consume('route-case', 'reported', (e) => {
      const unitId = `U-${e.caseId.slice(0, 2)}`;
      return withOutbox(
        [`INSERT INTO ceiling.decisions (case_id, unit_id) SELECT $4, $5 FROM inb ON CONFLICT DO NOTHING`],
        [e.caseId, unitId],
        publish('routed', envelope('case.routed', e.caseId, { ...e.payload, unitId })),
      );
    });
  }
  if (role === 'dispatch') {
    await consume('case-routing', 'routed', (e) =>
      withOutbox(
        [
          `INSERT INTO ceiling.cases (case_id, status, body) SELECT $4, 'assigned', $6::jsonb FROM inb`,
          `INSERT INTO ceiling.tasks (case_id, unit_id, status, due_at) SELECT $4, $5, 'assigned', now() + interval '1 day' FROM inb`,
          // The ops read model, written in the same commit (dispatch projects inline).
          `INSERT INTO ceiling.ops_view (case_id, status) SELECT $4, 'case.assigned' FROM inb
             ON CONFLICT (case_id) DO UPDATE SET status = EXCLUDED.status, updated_at = now()`,
        ],
        [e.caseId, String(e.payload.unitId), JSON.stringify(e.payload)],
        publish('lifecycle', envelope('case.assigned', e.caseId, { unitId: e.payload.unitId })),
      ),
    );
    routes.push({
      method: 'POST',
      pattern: /^\/tasks\/([0-9a-f-]{36})\/(accept|resolve)$/,
      handle: async (req, res, raw) => {
        const [, caseId, action] = /^\/tasks\/([0-9a-f-]{36})\/(accept|resolve)$/.exec(req.url ?? '')!;
        const status = action === 'accept' ? 'accepted' : 'resolved';
        const pub = publish('lifecycle', envelope(`case.${status}`, caseId, { note: raw.slice(0, 200) }));
        const done = await commit(
          `WITH t AS (UPDATE ceiling.tasks SET status = $2 WHERE case_id = $1 RETURNING case_id),
                c AS (UPDATE ceiling.cases SET status = $2, updated_at = now() WHERE case_id IN (SELECT case_id FROM t)),
                o AS (UPDATE ceiling.ops_view SET status = $2, updated_at = now() WHERE case_id IN (SELECT case_id FROM t))
           INSERT INTO ceiling.outbox_dispatch (topic, message_key, envelope) SELECT $3, $1, $4::jsonb FROM t RETURNING id`,
          [caseId, status, pub.topic, pub.value],
          pub,
        );
        if (!done) return json(res, 404, { code: 'NOT_FOUND' });
        json(res, 200, { caseId, status });
      },
    });
  }
  if (role === 'notification') {
    const receiver = env('RECEIVER_URL');
    await consume(
      'case-events',
      'lifecycle',
      (e) => ({
        ctes: [],
        final: `INSERT INTO ceiling.deliveries (case_id, event_type, status) SELECT $4, $5, 'pending' FROM inb RETURNING id`,
        params: [e.caseId, e.type],
      }),
      async (e, id) => {
        if (e.type === 'case.assigned')
          await postWebhook(`${receiver}/hooks/${String(e.payload.unitId)}`, {
            deliveryId: id,
            eventId: e.eventId,
            eventType: e.type,
            caseId: e.caseId,
            occurredAt: e.occurredAt,
            data: e.payload,
          }).catch(() => 0);
        await pool.query(`UPDATE ceiling.deliveries SET status = 'sent', sent_at = now() WHERE id = $1`, [
          id,
        ]);
      },
    );
  }
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health/ready') return json(res, ready ? 200 : 503, { ready });
    const route = routes.find((r) => r.method === req.method && r.pattern.test(req.url ?? ''));
    if (!route) return json(res, 404, { code: 'NOT_FOUND' });
    readBody(req)
      .then((raw) => route.handle(req, res, raw))
      .catch((err: unknown) => json(res, 500, { code: 'INTERNAL', message: (err as Error).message }));
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  ready = true;
  const stop = () => {
    ready = false;
    server.close();
    void producer
      .disconnect()
      .catch(() => undefined)
      .finally(() => pool.end().finally(() => process.exit(0)));
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`ceiling ${role} failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
