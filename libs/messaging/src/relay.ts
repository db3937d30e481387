/**
 * The outbox relay: publishes committed outbox rows. Kept apart from the writer (outbox.ts) so that
 * its thread (relay-worker.ts) loads neither the contracts' validation classes nor TypeORM: the
 * envelope header names come in its options (`ENVELOPE_HEADERS` from @app/contracts).
 */
import { Client } from 'pg';
import type { Producer } from 'kafkajs';
import type { EventEnvelope } from '@app/contracts';
import { counter, gauge, histogram, JsonLogger } from '@app/observability';
import { KafkaSettings, topicName } from './kafka-settings';

/** The Kafka header names the relay copies envelope fields into (`ENVELOPE_HEADERS`). */
export interface EnvelopeHeaderNames {
  eventId: string;
  type: string;
  correlationId: string;
  causationId: string;
  producer: string;
}

const published = counter('outbox_published_total', 'Events published from the outbox', ['topic']);
const backlog = gauge('outbox_backlog', 'Outbox rows not yet published');
const oldestAge = gauge('outbox_oldest_age_seconds', 'Age of the oldest unpublished outbox row');
const publishLatency = histogram(
  'outbox_publish_delay_seconds',
  "From the start of the transaction that wrote the outbox row (created_at is now()) to the acknowledged publish: includes that transaction's own time, e.g. row-lock waits",
);

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
  /** Kafka header names for the envelope's ids (pass `ENVELOPE_HEADERS`). */
  headers: EnvelopeHeaderNames;
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
  /**
   * Called as each cycle begins, before its read: a nudge given before this call is answered by
   * this cycle's read (RelayThread's shared nudge flag is cleared here).
   */
  onCycle?: () => void;
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
      this.options.onCycle?.();
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
          [this.options.headers.eventId]: env.eventId,
          [this.options.headers.type]: env.type,
          [this.options.headers.correlationId]: env.correlationId,
          ...(env.causationId ? { [this.options.headers.causationId]: env.causationId } : {}),
          [this.options.headers.producer]: env.producer,
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
