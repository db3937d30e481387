import type { Consumer, Kafka, KafkaMessage, Producer, IHeaders } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { decodeEvent, dlqTopicOf, ENVELOPE_HEADERS, EventEnvelope, PayloadOf, Topic } from '@app/contracts';
import { bindWork, counter, gauge, histogram, JsonLogger, WorkContext } from '@app/observability';
import { countKafkaRequests, KafkaSettings, topicName } from './kafka-settings';
import { isRetriable } from './retriable';

type OffsetsToCommit = {
  topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
};

export interface MessageMeta {
  topic: Topic;
  partition: number;
  offset: string;
  /**
   * The event's inbox row for the handler to write in its own statement (`withInbox`): set on the
   * one-event path of a consumer whose spec says `inbox: 'first-statement' | 'only-statement'`;
   * undefined in a chunk (the runner has written the chunk's inbox rows).
   */
  inbox?: InboxClaim;
}

/**
 * An event's inbox row written as the first CTE of the handler's first statement instead of by a
 * separate INSERT: one round trip less per event, and none of BEGIN/COMMIT when that statement is
 * the whole effect. It is a plain INSERT: a duplicate fails the statement on the inbox key, and
 * the transaction with it, before the effect; the runner counts it as a duplicate.
 */
export class InboxClaim {
  claimed = false;
  /** The events whose rows this claim writes: one, or a chunk's (`eventId` is the first). */
  readonly eventIds: readonly string[];

  constructor(
    private readonly schema: string,
    eventId: string | readonly string[],
    readonly consumer: string,
    readonly topic: string,
  ) {
    this.eventIds = typeof eventId === 'string' ? [eventId] : eventId;
    if (!this.eventIds.length) throw new Error('InboxClaim: no event');
  }

  get eventId(): string {
    return this.eventIds[0];
  }

  /** The INSERT of the rows, placeholders from `$<n + 1>`, a plain one: a row that exists fails it. */
  private insertSql(n: number, onlyIf?: string): string {
    const into = `INSERT INTO "${this.schema}".inbox (event_id, consumer, topic)`;
    if (this.eventIds.length > 1)
      return `${into} SELECT e, $${n + 2}::text, $${n + 3}::text FROM unnest($${n + 1}::uuid[]) AS e${onlyIf ? ` WHERE ${onlyIf}` : ''}`;
    return onlyIf
      ? `${into} SELECT $${n + 1}::uuid, $${n + 2}::text, $${n + 3}::text WHERE ${onlyIf}`
      : `${into} VALUES ($${n + 1}::uuid, $${n + 2}::text, $${n + 3}::text)`;
  }

  private get params(): unknown[] {
    return [this.eventIds.length > 1 ? this.eventIds : this.eventId, this.consumer, this.topic];
  }

  private claim(): void {
    if (this.claimed) throw new Error(`event ${this.eventId}: the inbox row is claimed once`);
    this.claimed = true;
  }

  /**
   * The inbox insert as a CTE (`inbox_claim`) to place among a statement's others, written only
   * when `onlyIf` (SQL over the CTEs before it) holds: for a handler's `alone` statement, which
   * must write nothing at all, this row included, when it is not the event's whole effect.
   * Placeholders from `$<offset + 1>`.
   */
  cte(offset: number, onlyIf: string): { cteSql: string; params: unknown[] } {
    this.claim();
    return { cteSql: `inbox_claim AS (${this.insertSql(offset, onlyIf)})`, params: this.params };
  }

  /** `sql` (a statement, with or without its own WITH) led by the inbox insert; its parameters follow `params`. */
  into(sql: string, params: unknown[]): [string, unknown[]] {
    this.claim();
    const claimSql = `inbox_claim AS (${this.insertSql(params.length)})`;
    const lead = /^\s*WITH(\s+RECURSIVE)?\s/i.exec(sql);
    const text = lead ? `${lead[0]}${claimSql}, ${sql.slice(lead[0].length)}` : `WITH ${claimSql} ${sql}`;
    return [text, [...params, ...this.params]];
  }
}

/** The statement with the event's inbox claim when the runner passed one; as it is otherwise. */
export function withInbox(
  inbox: InboxClaim | undefined,
  sql: string,
  params: unknown[],
): [string, unknown[]] {
  return inbox ? inbox.into(sql, params) : [sql, params];
}

/** A statement that failed on the inbox key: the event was handled before (or is, concurrently). */
export function isInboxConflict(err: unknown): boolean {
  const e = err as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string };
  };
  const code = e?.driverError?.code ?? e?.code;
  const constraint = e?.driverError?.constraint ?? e?.constraint;
  return code === '23505' && constraint === 'inbox_pkey';
}

class DuplicateEvent extends Error {}

/**
 * The work an event's handler does: correlated with the event, caused by it. The runner binds it
 * to the manager it hands the handler, so what the handler publishes carries both.
 */
export function causedBy(event: Pick<EventEnvelope<unknown>, 'correlationId' | 'eventId'>): WorkContext {
  return { correlationId: event.correlationId, causationId: event.eventId };
}

/** Handles one validated event inside the transaction that also records it in the inbox. */
export type EventHandler<T extends Topic = Topic> = (
  event: EventEnvelope<PayloadOf[T]>,
  manager: EntityManager,
  meta: MessageMeta,
) => Promise<void>;

/** One event of a chunk with where it came from. */
export interface ChunkItem {
  event: EventEnvelope<PayloadOf[Topic]>;
  meta: MessageMeta;
}

/** A partition's chunk waiting to be handled with the others of its turn (`gather`). */
interface Gathered {
  topic: Topic;
  partition: number;
  chunk: KafkaMessage[];
  resolve: (outcome: GatherOutcome) => void;
}

type GatherOutcome = 'handled' | 'alone' | 'one-by-one';

export interface ConsumerSpec {
  /** Stable name: part of the group id and the inbox key. */
  name: string;
  topics: Topic[];
  handle: EventHandler;
  /**
   * Handles a chunk's events together, in fewer statements than one `handle` each: the events
   * of one partition in their order, or of several partitions of one topic that a fetch brought
   * together (each partition's in their order; see `gather` in the runner), each new to this
   * consumer (the runner has written their inbox rows, duplicates left out), in the chunk's
   * transaction. Without it the runner calls `handle` per event. Whatever it throws rolls the
   * chunk back, and the chunk is then handled one event at a time by `handle` (retry and
   * dead-letter rules as ever; a gathered chunk is first tried partition by partition), so the
   * two must have the same effect. The manager carries no event's work: a chunk handler that
   * publishes binds each event's own (`bindWork(manager, causedBy(event))`).
   *
   * An 'only-statement' consumer's chunk handler writes the chunk in ONE statement without a
   * transaction: it gets every event of the chunk and `inbox`, the claim of all their rows, to
   * carry in that statement (`withInbox`). The rows are a plain INSERT: an event seen before (or
   * twice in the chunk) fails the statement, nothing is written, and the chunk is handled one
   * event at a time.
   */
  handleChunk?: (items: ChunkItem[], manager: EntityManager, inbox?: InboxClaim) => Promise<void>;
  /**
   * Tried before `handle` for every event, chunks included: the event's whole effect as ONE
   * statement outside any transaction (one round trip, no BEGIN/COMMIT), carrying the event's inbox
   * row (`meta.inbox`, as a CTE guarded like the rest: `InboxClaim.cte`). Answers true when that
   * statement did it all; false when the event needs `handle`, and then it must have written
   * nothing at all (no statement, or one whose every write, the inbox row's too, was guarded
   * off), for `handle` runs next in a transaction as if `alone` did not exist. With it the runner
   * takes a chunk's events side by side, one lane per message key (each key's events in their
   * order, up to CONSUMER_LANES_AT_ONCE lanes at once), instead of in one transaction: each event
   * its own round trip, but the lanes' round trips overlap. The manager is bound to the event's
   * work.
   */
  alone?: (
    event: EventEnvelope<PayloadOf[Topic]>,
    manager: EntityManager,
    meta: MessageMeta,
  ) => Promise<boolean>;
  /** Partitions processed in parallel (order holds within each). */
  partitionsConcurrently?: number;
  /**
   * Who writes a lone event's inbox row. 'runner' (default): an INSERT of its own, first in the
   * transaction. 'first-statement': the handler's first statement carries `meta.inbox`
   * (`withInbox`). 'only-statement': that statement is the handler's whole effect, run without
   * BEGIN/COMMIT (one round trip per event). A handler that issues no statement (an event it
   * ignores) leaves the row to the runner. Chunks have the runner write their rows, except for an
   * 'only-statement' consumer: with `handleChunk`, its one statement carries the chunk's rows
   * (see there); without, or for any consumer with `alone`, chunks go by key (see `alone`), each
   * event as it would alone.
   */
  inbox?: 'runner' | 'first-statement' | 'only-statement';
  /** Called after the transaction commits (e.g. to nudge a local worker). */
  afterCommit?: (event: EventEnvelope<PayloadOf[Topic]>, meta: MessageMeta) => void;
}

const lag = gauge('kafka_consumer_lag', 'Messages not yet consumed, per group and partition', [
  'group',
  'topic',
  'partition',
]);
const consumed = counter('events_consumed_total', 'Events consumed', ['consumer', 'topic', 'outcome']);
const chunkFallbacks = counter(
  'consumer_chunk_fallbacks_total',
  'Batches rolled back and handled again one event at a time',
  ['consumer', 'reason'],
);
const handleSeconds = histogram('event_handle_seconds', 'Time to handle one event (transaction included)', [
  'consumer',
]);
const chunkEvents = histogram(
  'consumer_chunk_events',
  'Events per chunk (one fetch of one partition, up to CONSUMER_BATCH_SIZE, or of several partitions gathered) and how it was taken: in one transaction by the chunk handler or event by event, gathered across partitions (by the chunk handler), or by key-lanes (a statement per event, lanes at once)',
  ['consumer', 'by'],
  [2, 4, 8, 16, 32, 64],
);

/**
 * Runs one consumer group: eachBatch, per-partition order, validation on consume, inbox in the
 * same transaction as the effect (a redelivered event has no second effect), retry with
 * backoff for retriable errors (offset not committed), dead-letter `<topic>.dlq` with the reason
 * for the rest, and a graceful stop that finishes the message in hand and commits.
 */
export class EventConsumerRunner {
  private consumer?: Consumer;
  private stopping = false;
  /** Events handled in one transaction when a fetch brings several (CONSUMER_BATCH_SIZE, 1 = off). */
  private readonly batchSize = Math.max(1, Number(process.env.CONSUMER_BATCH_SIZE ?? '32'));
  /** Key lanes of one chunk run at once (CONSUMER_LANES_AT_ONCE), per partition. */
  private readonly lanesAtOnce = Math.max(1, Number(process.env.CONSUMER_LANES_AT_ONCE ?? '2'));
  /**
   * Whether the chunks of a fetch's partitions are handled together (CONSUMER_GATHER, default on;
   * see `gather`): a consumer with a chunk handler that does not go by key.
   */
  private readonly gatherOn = (process.env.CONSUMER_GATHER ?? 'true') !== 'false';
  /** Chunks submitted in this turn of the event loop, handled together at its end (`gather`). */
  private gathering?: Gathered[];
  private lagTimer?: NodeJS.Timeout;
  private commitTimer?: NodeJS.Timeout;
  private commitChain: Promise<void> = Promise.resolve();
  /** Per `topic|partition` (full topic name): the next offset to consume, handled and not yet committed. */
  private readonly resolvedOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  private readonly committedOffsets = new Map<string, string>();
  private readonly log: JsonLogger;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly service: string,
    private readonly schema: string,
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
    private readonly spec: ConsumerSpec,
    logger: JsonLogger,
  ) {
    this.log = logger.child(`consumer:${spec.name}`);
  }

  get groupId(): string {
    return `${this.settings.topicPrefix}${this.service}.${this.spec.name}`;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      // A member that dies without leaving holds its partitions this long: short enough that a
      // killed replica's work moves on quickly, long enough for GC pauses.
      sessionTimeout: Number(process.env.KAFKA_SESSION_TIMEOUT_MS ?? '10000'),
      rebalanceTimeout: 30000,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: 250,
      // kafkajs fetches again only when every partition's batch from the last fetch is handled: a
      // partition that brought 1 MB (kafkajs's default) of backlog held the other eleven idle
      // behind it. A smaller share per partition keeps the rounds short and even (Kafka still
      // returns at least one record batch, so a larger message is never stuck).
      maxBytesPerPartition: Math.max(1024, Number(process.env.CONSUMER_MAX_BYTES_PER_PARTITION ?? '65536')),
      allowAutoTopicCreation: false,
      retry: { initialRetryTime: 200, retries: 10 },
    });
    this.consumer = countKafkaRequests(consumer, `consumer:${this.spec.name}`);
    await consumer.connect();
    for (const t of this.spec.topics) {
      await consumer.subscribe({ topic: topicName(this.settings, t), fromBeginning: true });
    }
    // kafkajs's autoCommit commits after every batch (one OffsetCommit, a write to
    // __consumer_offsets, per batch: more requests than Fetch at 40 cases/s). Offsets are
    // committed here instead, at most once per interval, on stop, and not at all for a partition
    // that has not moved; the inbox makes the redelivery of an uncommitted tail harmless.
    consumer.on(consumer.events.GROUP_JOIN, () => this.forgetOffsets());
    // kafkajs gives up for good on an error it calls non-retriable (e.g. "Failed to find group
    // coordinator" while the broker restarts): the consumer disconnects and never comes back.
    // A service must not stop consuming, so it is started again here.
    consumer.on(consumer.events.CRASH, (e: { payload: { error?: Error; restart?: boolean } }) => {
      if (e.payload.restart || this.stopping) return;
      this.log.error(`consumer crashed for good in kafkajs (${e.payload.error?.message}); starting it again`);
      this.restartAfterCrash(consumer, 1);
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently:
        this.spec.partitionsConcurrently ?? Number(process.env.CONSUMER_PARTITIONS_CONCURRENTLY ?? '12'),
      eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        isRunning,
        isStale,
        commitOffsetsIfNecessary,
      }) => {
        const topic = this.unprefix(batch.topic);
        const messages = batch.messages;
        for (let i = 0; i < messages.length;) {
          if (!isRunning() || isStale()) break;
          const chunk = messages.slice(i, i + this.batchSize);
          if (this.byKey) {
            await this.processByKey(topic, batch.partition, chunk, heartbeat, isRunning);
            resolveOffset(chunk[chunk.length - 1].offset);
            this.resolved(batch.topic, batch.partition, chunk[chunk.length - 1].offset);
            await heartbeat();
            i += chunk.length;
            continue;
          }
          // Many events, one transaction (one commit, one multi-row inbox insert), with the other
          // partitions' chunks of the same fetch when they gather. Any failure rolls the chunks
          // back whole; this partition's chunk is then tried alone, and then one message at a
          // time, with the per-message retry and dead-letter rules.
          const gathered = this.gathers ? await this.gather(topic, batch.partition, chunk) : 'alone';
          const done =
            gathered === 'handled' ||
            (gathered === 'alone' &&
              chunk.length > 1 &&
              (await this.processChunk(topic, batch.partition, chunk)));
          if (!done) {
            for (const [j, message] of chunk.entries()) {
              if (j > 0 && (!isRunning() || isStale())) break;
              await this.processMessage(topic, batch.partition, message, heartbeat, isRunning);
              resolveOffset(message.offset);
              this.resolved(batch.topic, batch.partition, message.offset);
              await heartbeat();
            }
          } else {
            resolveOffset(chunk[chunk.length - 1].offset);
            this.resolved(batch.topic, batch.partition, chunk[chunk.length - 1].offset);
            await heartbeat();
          }
          i += chunk.length;
        }
        // Stopping: the batch in hand commits its own partition now (the group is still joined).
        if (this.stopping) await this.commitResolved((offsets) => commitOffsetsIfNecessary(offsets));
      },
    });
    const commitEveryMs = Math.max(10, Number(process.env.CONSUMER_COMMIT_INTERVAL_MS ?? '1000'));
    this.commitTimer = setInterval(() => void this.commitResolved(), commitEveryMs);
    this.commitTimer.unref();
    const lagEveryMs = Number(process.env.CONSUMER_LAG_INTERVAL_MS ?? '15000');
    if (lagEveryMs > 0) {
      this.lagTimer = setInterval(() => void this.measureLag().catch(() => undefined), lagEveryMs);
      this.lagTimer.unref();
    }
  }

  private restartAfterCrash(crashed: Consumer, attempt: number): void {
    const delay = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
    setTimeout(() => {
      if (this.stopping) return;
      if (this.lagTimer) clearInterval(this.lagTimer);
      if (this.commitTimer) clearInterval(this.commitTimer);
      const current = this.consumer;
      this.consumer = undefined;
      this.forgetOffsets();
      for (const c of new Set([crashed, current])) c?.disconnect().catch(() => undefined);
      this.start().catch((err) => {
        this.log.warn(`consumer restart attempt ${attempt} failed; retrying`, err);
        this.restartAfterCrash(crashed, attempt + 1);
      });
    }, delay).unref();
  }

  /** Publishes kafka_consumer_lag: the log end offset minus the group's committed offset. */
  async measureLag(): Promise<number> {
    const admin = countKafkaRequests(this.kafka.admin(), 'admin:lag');
    await admin.connect();
    try {
      let total = 0;
      const topics = this.spec.topics.map((t) => topicName(this.settings, t));
      const committed = await admin.fetchOffsets({ groupId: this.groupId, topics });
      for (const t of committed) {
        const ends = await admin.fetchTopicOffsets(t.topic);
        for (const p of t.partitions) {
          const end = Number(ends.find((e) => e.partition === p.partition)?.high ?? 0);
          const at = Number(p.offset);
          const behind = at < 0 ? end : Math.max(0, end - at);
          total += behind;
          lag.set(
            { group: this.groupId, topic: this.unprefix(t.topic), partition: String(p.partition) },
            behind,
          );
        }
      }
      return total;
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.lagTimer) clearInterval(this.lagTimer);
    if (this.commitTimer) clearInterval(this.commitTimer);
    await this.commitResolved();
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }

  /** Records that everything up to `offset` of a partition is handled (next to consume: offset + 1). */
  private resolved(topic: string, partition: number, offset: string): void {
    this.resolvedOffsets.set(`${topic}|${partition}`, {
      topic,
      partition,
      offset: (BigInt(offset) + 1n).toString(),
    });
  }

  /** After a rebalance the partitions may be another member's: what was not committed is redelivered. */
  private forgetOffsets(): void {
    this.resolvedOffsets.clear();
    this.committedOffsets.clear();
  }

  /**
   * Commits the offsets handled since the last commit (none: no request). A failure (a rebalance
   * under way, the broker restarting) is retried at the next interval; what is never committed
   * is redelivered and de-duplicated by the inbox.
   */
  private commitResolved(commit?: (offsets: OffsetsToCommit) => Promise<void>): Promise<void> {
    // One commit at a time, in order: a later call waits for the one under way, then commits
    // whatever is still due (often nothing).
    const run = this.commitChain.then(() => this.commitDue(commit));
    this.commitChain = run;
    return run;
  }

  private async commitDue(commit?: (offsets: OffsetsToCommit) => Promise<void>): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const due = [...this.resolvedOffsets.entries()].filter(
      ([k, v]) => this.committedOffsets.get(k) !== v.offset,
    );
    if (due.length === 0) return;
    const topics = new Map<string, { partition: number; offset: string }[]>();
    for (const [, v] of due)
      topics.set(v.topic, [...(topics.get(v.topic) ?? []), { partition: v.partition, offset: v.offset }]);
    const offsets = { topics: [...topics.entries()].map(([topic, partitions]) => ({ topic, partitions })) };
    try {
      if (commit) await commit(offsets);
      else
        await consumer.commitOffsets(
          offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p }))),
        );
      for (const [k, v] of due) this.committedOffsets.set(k, v.offset);
    } catch (err) {
      this.log.debug('offset commit failed; retried at the next interval', {
        error: (err as Error)?.message,
      });
    }
  }

  private unprefix(topic: string): Topic {
    return (
      this.settings.topicPrefix && topic.startsWith(this.settings.topicPrefix)
        ? topic.slice(this.settings.topicPrefix.length)
        : topic
    ) as Topic;
  }

  /**
   * Whether chunks go by key: each event in a statement of its own without BEGIN/COMMIT (an
   * 'only-statement' handler, or one with `alone`), so one transaction for the chunk would only
   * add round trips (BEGIN, the inbox rows, COMMIT) and serialize what need not be.
   */
  private get byKey(): boolean {
    return !!this.spec.alone || (this.spec.inbox === 'only-statement' && !this.spec.handleChunk);
  }

  /**
   * A chunk of one partition, one lane per message key: each lane's events one after the other in
   * partition order, as `processMessage` handles a lone event (retries and dead letters
   * included), `lanesAtOnce` lanes at a time. Per-key order is all a partition promises
   * consumers of case events (the key is the case). Every lane finishes before this returns, a
   * failed one included: an error (a retry cut short by a stop) is thrown after, and the chunk's
   * offsets are not resolved; what was written is in the inbox, so its redelivery is a duplicate.
   */
  private async processByKey(
    topic: Topic,
    partition: number,
    chunk: KafkaMessage[],
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const lanes = new Map<string, KafkaMessage[]>();
    for (const m of chunk) {
      const key = m.key ? m.key.toString('latin1') : '';
      const lane = lanes.get(key);
      if (lane) lane.push(m);
      else lanes.set(key, [m]);
    }
    if (chunk.length > 1) chunkEvents.observe({ consumer: this.spec.name, by: 'key-lanes' }, chunk.length);
    // At most `lanesAtOnce` lanes of a chunk run at a time: each lane builds its statement before
    // its first await, so a fetch's hundreds of lanes started together held the event loop for
    // as long as building all of them took, and everything else in the process (HTTP requests)
    // waited behind that burst.
    const waiting = [...lanes.values()];
    const runLanes = async () => {
      for (let lane = waiting.shift(); lane; lane = waiting.shift())
        for (const m of lane) await this.processMessage(topic, partition, m, heartbeat, isRunning);
    };
    const results = await Promise.allSettled(
      Array.from({ length: Math.min(this.lanesAtOnce, waiting.length) }, runLanes),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Whether chunks gather across partitions: a consumer with a chunk handler that does not go by key. */
  private get gathers(): boolean {
    return this.gatherOn && !!this.spec.handleChunk && !this.byKey;
  }

  /**
   * Handles a partition's chunk together with the chunks of the other partitions of its topic
   * submitted in the same turn of the event loop: kafkajs hands a fetch's partitions to its
   * `partitionsConsumedConcurrently` workers together, so at moderate rates, when each partition
   * brings one or two events, a fetch becomes one transaction (or one statement) instead of one
   * per partition. Each partition's events stay in their order (a case's events are all in one
   * partition). 'handled': committed. 'alone': the chunks it was with failed together (nothing
   * changed); try this one alone. 'one-by-one': take its messages one at a time (a message does
   * not decode; it came alone and is a single event, or failed as a chunk of its own).
   */
  private gather(topic: Topic, partition: number, chunk: KafkaMessage[]): Promise<GatherOutcome> {
    return new Promise<GatherOutcome>((resolve) => {
      if (!this.gathering) {
        this.gathering = [];
        setImmediate(() => void this.flushGathered());
      }
      this.gathering.push({ topic, partition, chunk, resolve });
    });
  }

  /** Runs what gathered in the last turn: the chunks of each topic as one. */
  private async flushGathered(): Promise<void> {
    const all = this.gathering ?? [];
    this.gathering = undefined;
    const byTopic = new Map<Topic, Gathered[]>();
    for (const g of all) {
      const group = byTopic.get(g.topic);
      if (group) group.push(g);
      else byTopic.set(g.topic, [g]);
    }
    await Promise.all(
      [...byTopic].map(async ([topic, submitted]) => {
        // A single event goes its own way (its one statement, the inbox row in it), undecoded here.
        if (submitted.reduce((n, g) => n + g.chunk.length, 0) < 2)
          return submitted.forEach((g) => g.resolve('one-by-one'));
        // A chunk with a message that does not decode is taken one at a time (and that one dead-lettered).
        const group: Gathered[] = [];
        const events: ChunkItem[] = [];
        for (const g of submitted) {
          const items = this.decodeChunk(topic, g.partition, g.chunk);
          if (!items) g.resolve('one-by-one');
          else {
            group.push(g);
            events.push(...items);
          }
        }
        if (events.length < 2) return group.forEach((g) => g.resolve('one-by-one'));
        const alone = group.length === 1;
        // Every partition waits for its answer: none may be left without one.
        let done = false;
        try {
          done = await this.runChunk(topic, events, alone ? 'partition' : 'gathered');
        } catch (err) {
          this.log.warn(`gathered chunk on ${topic} failed outside its statement; each partition alone`, err);
        } finally {
          for (const g of group) g.resolve(done ? 'handled' : alone ? 'one-by-one' : 'alone');
        }
      }),
    );
  }

  /** A chunk's messages decoded, or undefined when one does not decode (it is dead-lettered alone). */
  private decodeChunk(topic: Topic, partition: number, chunk: KafkaMessage[]): ChunkItem[] | undefined {
    const events: ChunkItem[] = [];
    for (const message of chunk) {
      const decoded = decodeEvent(topic, message.value);
      if (!decoded.ok) return undefined;
      events.push({ event: decoded.event, meta: { topic, partition, offset: message.offset } });
    }
    return events;
  }

  /**
   * Handles a chunk of one partition's messages in a single transaction. Returns false, having
   * changed nothing, when anything in it is not a plain success (an invalid message, a handler
   * error of any kind): the caller then takes the chunk one message at a time.
   */
  private async processChunk(topic: Topic, partition: number, chunk: KafkaMessage[]): Promise<boolean> {
    const events = this.decodeChunk(topic, partition, chunk);
    return !!events && (await this.runChunk(topic, events, 'partition'));
  }

  /**
   * Handles decoded events (one partition's, or several partitions' gathered) in a single
   * transaction, or the one statement of an 'only-statement' chunk handler. False, having changed
   * nothing, on any failure.
   */
  private async runChunk(topic: Topic, events: ChunkItem[], of: 'partition' | 'gathered'): Promise<boolean> {
    const started = process.hrtime.bigint();
    let handled: ChunkItem[];
    try {
      handled =
        this.spec.handleChunk && this.spec.inbox === 'only-statement'
          ? await this.chunkInOneStatement(topic, events, this.spec.handleChunk)
          : await this.chunkInTransaction(topic, events);
    } catch (err) {
      const code =
        (err as { code?: string; driverError?: { code?: string } })?.driverError?.code ??
        (err as { code?: string })?.code;
      chunkFallbacks.inc({ consumer: this.spec.name, reason: code ?? (err as Error)?.name ?? 'error' });
      const where =
        of === 'gathered' ? `${topic} (partitions gathered)` : `${topic}[${events[0].meta.partition}]`;
      this.log.debug(
        `batch of ${events.length} on ${where} rolled back; ${of === 'gathered' ? 'each partition alone' : 'one at a time'}`,
        {
          error: (err as Error)?.message,
        },
      );
      return false;
    }
    const perEvent = Number(process.hrtime.bigint() - started) / 1e9 / Math.max(1, handled.length);
    consumed.inc({ consumer: this.spec.name, topic, outcome: 'handled' }, handled.length);
    consumed.inc({ consumer: this.spec.name, topic, outcome: 'duplicate' }, events.length - handled.length);
    chunkEvents.observe(
      {
        consumer: this.spec.name,
        by: of === 'gathered' ? 'gathered' : this.spec.handleChunk ? 'chunk-handler' : 'event-handler',
      },
      events.length,
    );
    for (const item of handled) {
      handleSeconds.observe({ consumer: this.spec.name }, perEvent);
      this.spec.afterCommit?.(item.event, item.meta);
    }
    return true;
  }

  /**
   * An 'only-statement' consumer's chunk: its handler's one statement carries every inbox row
   * (a plain INSERT: a repeat fails it whole). No BEGIN, no separate inbox insert, no COMMIT.
   */
  private async chunkInOneStatement(
    topic: Topic,
    events: ChunkItem[],
    handleChunk: NonNullable<ConsumerSpec['handleChunk']>,
  ): Promise<ChunkItem[]> {
    const ids = events.map((e) => e.event.eventId);
    const claim = new InboxClaim(this.schema, ids, this.spec.name, topic);
    await handleChunk(events, this.guarded(this.dataSource.manager, claim, 'only-statement'), claim);
    if (!claim.claimed)
      throw new Error(`consumer ${this.spec.name}: the chunk's statement left out its inbox rows`);
    return events;
  }

  /** The chunk in one transaction: its inbox rows first (repeats left out), then the handler(s). */
  private async chunkInTransaction(topic: Topic, events: ChunkItem[]): Promise<ChunkItem[]> {
    return this.dataSource.transaction(async (manager) => {
      const fresh = new Set(
        (
          (await manager.query(
            `INSERT INTO "${this.schema}".inbox (event_id, consumer, topic)
             SELECT e, $2, $3 FROM unnest($1::uuid[]) AS e
             ON CONFLICT DO NOTHING RETURNING event_id`,
            [events.map((e) => e.event.eventId), this.spec.name, topic],
          )) as { event_id: string }[]
        ).map((r) => r.event_id),
      );
      // The same event twice in one chunk: the first one counts.
      const handled = events.filter((item) => fresh.delete(item.event.eventId));
      if (this.spec.handleChunk) {
        if (handled.length) await this.spec.handleChunk(handled, manager);
      } else {
        for (const item of handled)
          await this.spec.handle(item.event, bindWork(manager, causedBy(item.event)), item.meta);
      }
      return handled;
    });
  }

  private async processMessage(
    topic: Topic,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    isRunning: () => boolean,
  ): Promise<void> {
    const meta: MessageMeta = { topic, partition, offset: message.offset };
    const decoded = decodeEvent(topic, message.value);
    if (!decoded.ok) {
      await this.deadLetter(meta, message, decoded.reason);
      return;
    }
    const event = decoded.event;
    const work = causedBy(event);
    for (let attempt = 1; ; attempt++) {
      const started = process.hrtime.bigint();
      try {
        const duplicate = await this.handleOne(event, meta, work);
        consumed.inc({ consumer: this.spec.name, topic, outcome: duplicate ? 'duplicate' : 'handled' });
        handleSeconds.observe({ consumer: this.spec.name }, Number(process.hrtime.bigint() - started) / 1e9);
        if (!duplicate) this.spec.afterCommit?.(event, meta);
        return;
      } catch (err) {
        if (!isRetriable(err)) {
          this.log.error(`event ${event.eventId} (${event.type}) failed for good: dead-lettering`, err, work);
          await this.deadLetter(meta, message, `handler error: ${(err as Error)?.message ?? String(err)}`);
          return;
        }
        consumed.inc({ consumer: this.spec.name, topic, outcome: 'retry' });
        if (this.stopping || !isRunning()) throw err;
        const delay = Math.min(10_000, 100 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random() / 2);
        this.log.warn(
          `event ${event.eventId} (${event.type}) attempt ${attempt} failed, retrying in ${Math.round(delay)} ms`,
          err,
          work,
        );
        await new Promise((r) => setTimeout(r, delay));
        await heartbeat().catch(() => undefined);
      }
    }
  }

  /** One event in its own transaction (or statement); true when it was a duplicate. */
  private async handleOne(
    event: EventEnvelope<PayloadOf[Topic]>,
    meta: MessageMeta,
    work: WorkContext,
  ): Promise<boolean> {
    if (this.spec.alone) {
      const claim = new InboxClaim(this.schema, event.eventId, this.spec.name, meta.topic);
      try {
        // A manager of its own: the work is bound to the object, and lanes run at once.
        const manager = bindWork(Object.create(this.dataSource.manager) as EntityManager, work);
        if (await this.spec.alone(event, manager, { ...meta, inbox: claim })) {
          if (!claim.claimed)
            throw new Error(`consumer ${this.spec.name}: alone answered true without the event's inbox row`);
          return false;
        }
      } catch (err) {
        if (isInboxConflict(err)) return true;
        throw err;
      }
    }
    const mode = this.spec.inbox ?? 'runner';
    const claimInbox = async (manager: EntityManager): Promise<boolean> =>
      (
        (await manager.query(
          `INSERT INTO "${this.schema}".inbox (event_id, consumer, topic) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING event_id`,
          [event.eventId, this.spec.name, meta.topic],
        )) as unknown[]
      ).length > 0;
    if (mode === 'runner') {
      let duplicate = false;
      await this.dataSource.transaction(async (manager) => {
        if (!(await claimInbox(manager))) duplicate = true;
        else await this.spec.handle(event, bindWork(manager, work), meta);
      });
      return duplicate;
    }
    const inbox = new InboxClaim(this.schema, event.eventId, this.spec.name, meta.topic);
    const run = async (manager: EntityManager) => {
      await this.spec.handle(event, bindWork(this.guarded(manager, inbox, mode), work), { ...meta, inbox });
      // The handler issued no statement (an event it has nothing to do for): record it as seen.
      if (!inbox.claimed && !(await claimInbox(manager))) throw new DuplicateEvent();
    };
    try {
      if (mode === 'only-statement') await run(this.dataSource.manager);
      else await this.dataSource.transaction(run);
      return false;
    } catch (err) {
      if (err instanceof DuplicateEvent || isInboxConflict(err)) return true;
      throw err;
    }
  }

  /**
   * The manager a handler that writes its own inbox row works with: its first statement must carry
   * the claim (else a duplicate would take effect), and an 'only-statement' handler gets one.
   */
  private guarded(
    manager: EntityManager,
    inbox: InboxClaim,
    mode: 'first-statement' | 'only-statement',
  ): EntityManager {
    let statements = 0;
    const name = this.spec.name;
    return new Proxy(manager, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return (sql: string, params?: unknown[]) => {
          statements++;
          if (!inbox.claimed)
            throw new Error(
              `consumer ${name}: the handler's first statement must carry meta.inbox (withInbox)`,
            );
          if (mode === 'only-statement' && statements > 1)
            throw new Error(`consumer ${name}: an 'only-statement' handler ran a second statement`);
          return target.query(sql, params);
        };
      },
    });
  }

  private async deadLetter(meta: MessageMeta, message: KafkaMessage, reason: string): Promise<void> {
    const headers: IHeaders = { ...(message.headers ?? {}) };
    headers[ENVELOPE_HEADERS.dlqReason] = reason.slice(0, 4000);
    headers[ENVELOPE_HEADERS.dlqSourceTopic] = meta.topic;
    headers[ENVELOPE_HEADERS.dlqSourcePartition] = String(meta.partition);
    headers[ENVELOPE_HEADERS.dlqSourceOffset] = meta.offset;
    headers[ENVELOPE_HEADERS.dlqConsumer] = `${this.service}.${this.spec.name}`;
    await this.producer.send({
      topic: topicName(this.settings, dlqTopicOf(meta.topic)),
      acks: -1,
      messages: [{ key: message.key, value: message.value, headers }],
    });
    consumed.inc({ consumer: this.spec.name, topic: meta.topic, outcome: 'dead_lettered' });
    this.log.warn(`dead-lettered ${meta.topic}[${meta.partition}]@${meta.offset}: ${reason}`);
  }
}
