import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Producer } from 'kafkajs';
import type { EntityManager } from 'typeorm';
import {
  EventEnvelope,
  PAYLOAD_CLASSES,
  PayloadOf,
  Topic,
  validatePayload,
  ENVELOPE_HEADERS,
} from '@app/contracts';
import { counter, gauge, histogram, JsonLogger, startedWork, workOf, WorkContext } from '@app/observability';
import { KafkaSettings, topicName } from './kafka-settings';

export interface NewEvent<T extends Topic = Topic> {
  topic: T;
  type: string;
  /** Kafka key: the caseId for case topics, the entity id for reference topics. */
  key: string;
  caseId?: string;
  payload: PayloadOf[T];
  /** Overrides the causation taken from the work context. */
  causationId?: string;
}

const unbound = counter(
  'outbox_unbound_work_total',
  'Events appended in a transaction with no work context bound to it (a bug: they got a fresh correlation id)',
);

/**
 * The work bound to a transaction's manager (for the outbox). Whoever opens a transaction that
 * may publish binds it (`bindWork`; the consumer runner does for handlers); one that did not is a
 * bug: tests fail on it, production publishes with a fresh correlation id (the event is not lost)
 * and counts it.
 */
export function workBoundTo(manager: EntityManager): WorkContext {
  const work = workOf(manager);
  if (work) return work;
  if (process.env.NODE_ENV === 'test')
    throw new Error('outbox append in a transaction with no bound work (bindWork)');
  unbound.inc();
  return startedWork('unbound');
}

const published = counter('outbox_published_total', 'Events published from the outbox', ['topic']);
const backlog = gauge('outbox_backlog', 'Outbox rows not yet published');
const oldestAge = gauge('outbox_oldest_age_seconds', 'Age of the oldest unpublished outbox row');
const publishLatency = histogram(
  'outbox_publish_delay_seconds',
  "From the start of the transaction that wrote the outbox row (created_at is now()) to the acknowledged publish: includes that transaction's own time, e.g. row-lock waits",
);

/**
 * Writes events to the service's outbox inside the caller's transaction. Nothing reaches Kafka
 * unless that transaction commits; the relay publishes what it committed.
 */
export class OutboxWriter {
  /**
   * Validate each payload against its contract before it is written (OUTBOX_VALIDATE; default on
   * except under NODE_ENV=production). Every consumer validates what it receives at its own
   * boundary (and dead-letters what fails), so in production this second check only costs CPU;
   * tests and development keep it to catch a producer breaking the contract where it happens.
   */
  private readonly validate =
    (process.env.OUTBOX_VALIDATE ?? (process.env.NODE_ENV === 'production' ? 'false' : 'true')) === 'true';

  /** Outbox statements built so far (append included): a change means a handler wrote events. */
  prepared = 0;

  constructor(
    private readonly schema: string,
    private readonly producer: string,
  ) {}

  /** Appends `events` in the transaction of `manager`, with the work bound to it (`bindWork`). */
  async append(manager: EntityManager, events: NewEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const { sql, params, envelopes } = this.insertStatement(events, workBoundTo(manager));
    await manager.query(sql, params);
    return envelopes;
  }

  /**
   * The outbox INSERT for `events` without running it, its placeholders numbered from
   * `$<offset + 1>`: for a caller that makes it one more data-modifying CTE of the statement
   * that writes the state change (one round trip; a single statement is atomic without
   * BEGIN/COMMIT). `events` must not be empty.
   */
  insertStatement(
    events: NewEvent[],
    /** The work these events come from: their correlation id and (unless an event names its own) causation. */
    work: WorkContext,
    offset = 0,
    /** A condition (SQL over the statement's other CTEs) without which no row is written. */
    onlyIf?: string,
  ): { sql: string; params: unknown[]; envelopes: EventEnvelope[] } {
    if (events.length === 0) throw new Error('insertStatement needs at least one event');
    this.prepared++;
    const now = new Date().toISOString();
    const envelopes: EventEnvelope[] = events.map((e) => {
      const problems = this.validate ? validatePayload(e.topic, e.payload) : [];
      if (problems.length) throw new Error(`refusing to publish invalid ${e.type}: ${problems.join('; ')}`);
      return {
        eventId: randomUUID(),
        type: e.type,
        schemaVersion: PAYLOAD_CLASSES[e.topic].schemaVersion,
        key: e.key,
        ...(e.caseId ? { caseId: e.caseId } : {}),
        correlationId: work.correlationId,
        ...((e.causationId ?? work.causationId) ? { causationId: e.causationId ?? work.causationId } : {}),
        occurredAt: now,
        producer: this.producer,
        payload: e.payload as unknown as Record<string, unknown>,
      };
    });
    const params: unknown[] = [];
    const rows = envelopes.map((env, i) => {
      params.push(env.eventId, events[i].topic, env.key, env.type, JSON.stringify(env));
      const b = offset + i * 5;
      return onlyIf
        ? `($${b + 1}::uuid, $${b + 2}::text, $${b + 3}::text, $${b + 4}::text, $${b + 5}::jsonb)`
        : `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb)`;
    });
    const into = `INSERT INTO "${this.schema}".outbox (event_id, topic, message_key, event_type, envelope)`;
    return {
      sql: onlyIf
        ? `${into} SELECT * FROM (VALUES ${rows.join(', ')}) AS v WHERE ${onlyIf}`
        : `${into} VALUES ${rows.join(', ')}`,
      params,
      envelopes,
    };
  }
}

/** What a relay reports as it works: the metrics of this process by default (`relayMetrics`). */
export interface RelayObserver {
  /** Rows the broker acknowledged: their topics and how long after their transaction began (s). */
  published(rows: { topic: string; delaySeconds: number }[]): void;
  /** Unpublished rows and the oldest one's age (s), read every few seconds. */
  backlog(rows: number, oldestAgeSeconds: number): void;
}

/** The outbox metrics of this process (`outbox_published_total`, `outbox_publish_delay_seconds`, ...). */
export const relayMetrics: RelayObserver = {
  published(rows) {
    for (const r of rows) {
      published.inc({ topic: r.topic });
      publishLatency.observe(r.delaySeconds);
    }
  },
  backlog(rows, age) {
    backlog.set(rows);
    oldestAge.set(age);
  },
};

export interface OutboxRelayOptions {
  schema: string;
  batchSize?: number;
  /** Poll interval when no nudge arrives. */
  pollMs?: number;
  /** Published rows are kept this long for inspection, then purged. */
  retentionSeconds?: number;
  /** After a nudge, wait this long for more commits before reading (default 5). */
  lingerMs?: number;
  /**
   * A nudge that finds the relay asleep for at least this long is a lone commit: it is published
   * at once, without the linger (default 4 × lingerMs: at such gaps the linger would rarely catch
   * another commit and only add its delay to the hop).
   */
  loneAfterMs?: number;
  databaseUrl: string;
  /** The relay's own connection (tests pass a fake); default: relayConnection on `databaseUrl`. */
  connect?: () => Promise<RelayConnection>;
  /** Where its numbers go (default `relayMetrics`; a relay thread posts them to the main thread). */
  observer?: RelayObserver;
  /** Called when this relay takes or loses the relay lock. */
  onLock?: (holds: boolean) => void;
}

/** What the relay needs of its dedicated connection (a pg Client). */
export interface RelayConnection {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  end(): Promise<void>;
}

/**
 * The relay's own pg connection (`outbox-relay:<schema>` in pg_stat_activity). Its statements run
 * prepared with a generic plan: the cycle statement was parsed and planned on every cycle, and
 * Postgres chose a custom plan each time, which is the generic one (the unpublished-rows index,
 * the primary key for the marks). Its commits do not wait for the WAL flush: all they record is
 * "published", and a mark lost in a database crash only re-sends rows the broker had
 * acknowledged, which consumers drop by eventId, as after a crash between send and mark.
 */
export async function relayConnection(databaseUrl: string, schema: string): Promise<RelayConnection> {
  const client = new Client({ connectionString: databaseUrl, application_name: `outbox-relay:${schema}` });
  // Until the relay adds its listener (after the SET below), an error event — Postgres ending the
  // connection in the packet that answered the SET — would have no listener and end the process.
  // The relay learns of such a loss from its next statement's failure.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('SET synchronous_commit = off; SET plan_cache_mode = force_generic_plan');
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  const names = new Map<string, string>();
  return {
    query: (text, values) => {
      if (!values?.length) return client.query(text);
      let name = names.get(text);
      if (name === undefined) names.set(text, (name = `outbox_relay_${names.size + 1}`));
      return client.query({ name, text, values });
    },
    on: (event, listener) => client.on(event, listener),
    end: () => client.end(),
  };
}

type OutboxRow = {
  id: string;
  topic: string;
  message_key: string;
  envelope: EventEnvelope;
  created_at: Date;
};

/**
 * Publishes committed outbox rows in insertion order with the idempotent producer (acks all),
 * in batches. It works on a connection of its own, outside any transaction: that connection
 * holds the relay's session advisory lock, so one replica at a time relays (per-case order
 * holds with any number of replicas; the others stand by, and take over when the holder's
 * connection ends). It is woken by `nudge()` after a local commit (MessagingService forwards a
 * wake from other replicas over Redis) and polls every `pollMs`. One statement per cycle marks
 * the previous batch published (it was acknowledged by the broker) and reads the next: one
 * round trip and no BEGIN/COMMIT per publish. A crash between send and mark re-sends rows:
 * consumers de-duplicate by eventId (inbox).
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  /** A nudge came while the relay was not sleeping (mid-cycle): its commit may be past the read. */
  private nudgedMeanwhile = false;
  private conn?: RelayConnection;
  private lockHeld = false;
  /** Ids sent and acknowledged, to be marked published by the next statement. */
  private acknowledged: string[] = [];
  private lastHousekeeping = 0;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly retentionSeconds: number;
  private readonly lingerMs: number;
  private readonly loneAfterMs: number;
  private readonly observer: RelayObserver;

  private get holdsLock(): boolean {
    return this.lockHeld;
  }

  private set holdsLock(holds: boolean) {
    if (holds === this.lockHeld) return;
    this.lockHeld = holds;
    this.options.onLock?.(holds);
  }

  constructor(
    /** For housekeeping (the backlog gauge, the purge of old rows): the service's main pool. */
    private readonly dataSource: { query(sql: string, params?: unknown[]): Promise<unknown> },
    private readonly producer: Producer,
    private readonly kafka: Pick<KafkaSettings, 'topicPrefix'>,
    private readonly options: OutboxRelayOptions,
    private readonly logger: JsonLogger,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 200;
    this.retentionSeconds = options.retentionSeconds ?? 3600;
    this.lingerMs = options.lingerMs ?? 5;
    this.loneAfterMs = options.loneAfterMs ?? 4 * this.lingerMs;
    this.observer = options.observer ?? relayMetrics;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.connection().catch((err) =>
      this.logger.warn('outbox relay connection unavailable; retrying', err),
    );
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
    const conn = this.conn;
    this.conn = undefined;
    if (conn && this.acknowledged.length) {
      await conn
        .query(
          `UPDATE "${this.options.schema}".outbox SET published_at = now() WHERE id = ANY($1::bigint[])`,
          [this.acknowledged],
        )
        .then(() => (this.acknowledged = []))
        .catch(() => undefined);
    }
    this.holdsLock = false;
    await conn?.end().catch(() => undefined);
  }

  /**
   * Wakes the relay now (called after a local commit; MessagingService wakes other replicas).
   * Mid-cycle, the nudge is kept: that commit may have come after the cycle's read, and the
   * relay goes round again instead of sleeping until the next nudge or poll.
   */
  nudge(): void {
    if (this.wake) this.wake();
    else this.nudgedMeanwhile = true;
  }

  /** Whether this process holds the relay lock (the replica that publishes). */
  get relaying(): boolean {
    return this.holdsLock;
  }

  private async connection(): Promise<RelayConnection> {
    if (this.conn) return this.conn;
    const conn = this.options.connect
      ? await this.options.connect()
      : await relayConnection(this.options.databaseUrl, this.options.schema);
    conn.on('error', (err) => {
      this.logger.warn('outbox relay connection lost', err);
      if (this.conn === conn) {
        this.conn = undefined;
        this.holdsLock = false;
      }
      conn.end().catch(() => undefined);
    });
    this.conn = conn;
    this.holdsLock = false;
    return conn;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let n = 0;
      // Nudges from here on are for commits this cycle's read may miss.
      this.nudgedMeanwhile = false;
      try {
        n = await this.publishOnce();
        failures = 0;
        await this.housekeeping();
      } catch (err) {
        failures++;
        this.logger.warn(`outbox relay attempt failed (${failures})`, err);
        // Start over on a fresh connection (a lost one has released the lock already).
        const conn = this.conn;
        this.conn = undefined;
        this.holdsLock = false;
        await conn?.end().catch(() => undefined);
        await this.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      if (n < this.batchSize) {
        const streaming = this.nudgedMeanwhile;
        const asleepFrom = performance.now();
        const nudged = streaming || (await this.sleep(this.pollMs));
        // Woken by a commit while commits stream in (one came mid-cycle, or soon after the relay
        // went to sleep): wait a moment for the commits right behind it, so that under load one
        // statement and one produce request carry many rows (like Kafka's linger.ms, 5 ms by
        // default since Kafka 4.0). A lone commit after a quiet spell goes out at once (Nagle's
        // rule): at low rates the linger would only add its delay to every hop.
        const lone = !streaming && performance.now() - asleepFrom >= this.loneAfterMs;
        if (nudged && !lone && this.lingerMs > 0 && this.running)
          await new Promise((r) => setTimeout(r, this.lingerMs));
      }
    }
  }

  /** Sleeps up to `ms`; resolves true when `nudge()` woke it sooner. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => done(false), ms);
      const done = (nudged: boolean) => {
        clearTimeout(t);
        this.wake = undefined;
        resolve(nudged);
      };
      this.wake = () => done(true);
    });
  }

  /** Returns the number of rows published (0 when idle or another replica holds the lock). */
  async publishOnce(): Promise<number> {
    const s = `"${this.options.schema}"`;
    const conn = await this.connection();
    if (!this.holdsLock) {
      const { rows } = await conn.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [
        `outbox:${this.options.schema}`,
      ]);
      if (!(rows[0] as { locked: boolean }).locked) return 0;
      this.holdsLock = true;
    }
    // One statement, no transaction: mark what the broker acknowledged, read the next batch.
    const marking = this.acknowledged;
    const { rows } = (await conn.query(
      `WITH done AS (UPDATE ${s}.outbox SET published_at = now() WHERE id = ANY($1::bigint[]))
       SELECT o.id, o.topic, o.message_key, o.envelope, o.created_at FROM ${s}.outbox o
        WHERE o.published_at IS NULL AND o.id <> ALL($1::bigint[]) ORDER BY o.id LIMIT $2`,
      [marking, this.batchSize],
    )) as { rows: OutboxRow[] };
    this.acknowledged = [];
    if (rows.length === 0) return 0;
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const r of rows) {
      const env = r.envelope;
      const list = byTopic.get(r.topic) ?? [];
      list.push({
        key: r.message_key,
        value: JSON.stringify(env),
        headers: {
          [ENVELOPE_HEADERS.eventId]: env.eventId,
          [ENVELOPE_HEADERS.type]: env.type,
          [ENVELOPE_HEADERS.correlationId]: env.correlationId,
          ...(env.causationId ? { [ENVELOPE_HEADERS.causationId]: env.causationId } : {}),
          [ENVELOPE_HEADERS.producer]: env.producer,
        },
      });
      byTopic.set(r.topic, list);
    }
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic.entries()].map(([topic, messages]) => ({
        topic: topicName(this.kafka, topic),
        messages,
      })),
    });
    // Acknowledged by all in-sync replicas: marked published by the next statement.
    this.acknowledged = rows.map((r) => r.id);
    const now = Date.now();
    this.observer.published(
      rows.map((r) => ({ topic: r.topic, delaySeconds: (now - new Date(r.created_at).getTime()) / 1000 })),
    );
    return rows.length;
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastHousekeeping < 5000) return;
    this.lastHousekeeping = now;
    const s = `"${this.options.schema}"`;
    const [stats] = (await this.dataSource.query(
      `SELECT count(*)::int AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float AS age
         FROM ${s}.outbox WHERE published_at IS NULL`,
    )) as { n: number; age: number }[];
    this.observer.backlog(stats.n, stats.age);
    await this.dataSource.query(
      `DELETE FROM ${s}.outbox WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)`,
      [this.retentionSeconds],
    );
  }
}
