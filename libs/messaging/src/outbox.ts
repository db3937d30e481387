import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Producer } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import {
  EventEnvelope,
  PAYLOAD_CLASSES,
  PayloadOf,
  Topic,
  validatePayload,
  ENVELOPE_HEADERS,
} from '@app/contracts';
import { currentContext, correlationId, counter, gauge, histogram, JsonLogger } from '@app/observability';
import { KafkaSettings, topicName } from './kafka-settings';

export interface NewEvent<T extends Topic = Topic> {
  topic: T;
  type: string;
  /** Kafka key: the caseId for case topics, the entity id for reference topics. */
  key: string;
  caseId?: string;
  payload: PayloadOf[T];
  /** Overrides the causation taken from the current work context. */
  causationId?: string;
}

const published = counter('outbox_published_total', 'Events published from the outbox', ['topic']);
const backlog = gauge('outbox_backlog', 'Outbox rows not yet published');
const oldestAge = gauge('outbox_oldest_age_seconds', 'Age of the oldest unpublished outbox row');
const publishLatency = histogram('outbox_publish_delay_seconds', 'From outbox insert to publish');

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

  constructor(
    private readonly schema: string,
    private readonly producer: string,
  ) {}

  async append(manager: EntityManager, events: NewEvent[]): Promise<EventEnvelope[]> {
    if (events.length === 0) return [];
    const { sql, params, envelopes } = this.insertStatement(events);
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
    offset = 0,
  ): { sql: string; params: unknown[]; envelopes: EventEnvelope[] } {
    if (events.length === 0) throw new Error('insertStatement needs at least one event');
    const ctx = currentContext();
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
        correlationId: ctx?.correlationId ?? correlationId(),
        ...((e.causationId ?? ctx?.causationId) ? { causationId: e.causationId ?? ctx?.causationId } : {}),
        occurredAt: now,
        producer: this.producer,
        payload: e.payload as unknown as Record<string, unknown>,
      };
    });
    const params: unknown[] = [];
    const rows = envelopes.map((env, i) => {
      params.push(env.eventId, events[i].topic, env.key, env.type, JSON.stringify(env));
      const b = offset + i * 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb)`;
    });
    return {
      sql: `INSERT INTO "${this.schema}".outbox (event_id, topic, message_key, event_type, envelope) VALUES ${rows.join(', ')}`,
      params,
      envelopes,
    };
  }
}

export interface OutboxRelayOptions {
  schema: string;
  batchSize?: number;
  /** Poll interval when no notification arrives (NOTIFY wakes it sooner). */
  pollMs?: number;
  /** Published rows are kept this long for inspection, then purged. */
  retentionSeconds?: number;
  databaseUrl: string;
}

/**
 * Publishes committed outbox rows in insertion order with the idempotent producer (acks all),
 * in batches, then marks them published in the same transaction that read them. One replica at
 * a time relays (a transaction-scoped advisory lock), so per-case order holds with any number of
 * replicas; the others stand by. A crash between send and commit re-sends rows: consumers
 * de-duplicate by eventId (inbox).
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private listener?: Client;
  private lastHousekeeping = 0;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly retentionSeconds: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
    private readonly kafka: Pick<KafkaSettings, 'topicPrefix'>,
    private readonly options: OutboxRelayOptions,
    private readonly logger: JsonLogger,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollMs = options.pollMs ?? 200;
    this.retentionSeconds = options.retentionSeconds ?? 3600;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listen().catch((err) => this.logger.warn('outbox LISTEN unavailable, polling only', err));
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Wakes the relay now (called after a local commit; NOTIFY does it for other replicas). */
  nudge(): void {
    this.wake?.();
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.options.databaseUrl });
    client.on('error', (err) => {
      this.logger.warn('outbox listener connection lost', err);
      this.listener = undefined;
      client.end().catch(() => undefined);
      if (this.running) setTimeout(() => this.running && this.listen().catch(() => undefined), 1000);
    });
    await client.connect();
    client.on('notification', () => this.nudge());
    await client.query(`LISTEN "${this.options.schema}_outbox"`);
    this.listener = client;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let n = 0;
      try {
        n = await this.publishOnce();
        failures = 0;
        await this.housekeeping();
      } catch (err) {
        failures++;
        this.logger.warn(`outbox relay attempt failed (${failures})`, err);
        await this.sleep(Math.min(5000, 100 * 2 ** Math.min(failures, 6)));
        continue;
      }
      if (n < this.batchSize) await this.sleep(this.pollMs);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Returns the number of rows published (0 when idle or another replica holds the lock). */
  async publishOnce(): Promise<number> {
    const s = `"${this.options.schema}"`;
    const qr = this.dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.startTransaction();
      // One round trip: the relay lock (held to commit) and, only when it was granted, the batch.
      const rows = (await qr.query(
        `WITH relay AS (SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked)
         SELECT o.id, o.topic, o.message_key, o.envelope, o.created_at FROM relay, ${s}.outbox o
          WHERE relay.locked AND o.published_at IS NULL ORDER BY o.id LIMIT $2`,
        [`outbox:${this.options.schema}`, this.batchSize],
      )) as { id: string; topic: string; message_key: string; envelope: EventEnvelope; created_at: Date }[];
      if (rows.length === 0) {
        await qr.commitTransaction();
        return 0;
      }
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
      await qr.query(`UPDATE ${s}.outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [
        rows.map((r) => r.id),
      ]);
      await qr.commitTransaction();
      const now = Date.now();
      for (const r of rows) {
        published.inc({ topic: r.topic });
        publishLatency.observe((now - new Date(r.created_at).getTime()) / 1000);
      }
      return rows.length;
    } catch (err) {
      if (qr.isTransactionActive) await qr.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await qr.release();
    }
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
    backlog.set(stats.n);
    oldestAge.set(stats.age);
    await this.dataSource.query(
      `DELETE FROM ${s}.outbox WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $1)`,
      [this.retentionSeconds],
    );
  }
}
