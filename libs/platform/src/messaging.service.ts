import {
  Inject,
  Injectable,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { Kafka, Producer } from 'kafkajs';
import type Redis from 'ioredis';
import { DataSource, EntityManager } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import {
  ConsumerSpec,
  EventConsumerRunner,
  NewEvent,
  OutboxRelay,
  OutboxWriter,
  RelayThread,
} from '@app/messaging';
import { ENVELOPE_HEADERS, EventEnvelope } from '@app/contracts';
import { bindWork, JsonLogger, WorkContext } from '@app/observability';
import { PlatformConfig } from './config';
import { runMigrationsLocked } from './database';
import { observePool } from './pool-metrics';
import { KAFKA, KAFKA_PRODUCER, LOGGER, PLATFORM_CONFIG, REDIS } from './tokens';

/**
 * The service's side of the messaging library: publish through the outbox inside a
 * transaction, register consumers; owns the lifecycle (migrate, connect, start the relay and the
 * consumers, and stop them in order on shutdown).
 */
@Injectable()
export class MessagingService implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly writer: OutboxWriter;
  private readonly relay: OutboxRelay | RelayThread;
  private readonly specs: ConsumerSpec[] = [];
  private readonly runners: EventConsumerRunner[] = [];
  private readonly log: JsonLogger;
  /** Redis channel on which replicas that do not relay wake the one that does. */
  private readonly wakeChannel: string;
  private wakeSubscriber?: Redis;
  private wakePending?: NodeJS.Timeout;
  /** The consumers' own pool (see `consumerDataSource`); undefined when they share the main one. */
  private consumerPool?: DataSource;

  constructor(
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
    private readonly dataSource: DataSource,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(KAFKA_PRODUCER) private readonly producer: Producer,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(LOGGER) logger: JsonLogger,
  ) {
    this.log = logger.child('messaging');
    this.wakeChannel = `${config.redisPrefix}outbox-wake:${config.schema}`;
    this.writer = new OutboxWriter(config.schema, config.service);
    const relayOptions = {
      schema: config.schema,
      databaseUrl: config.databaseUrl,
      batchSize: Number(process.env.OUTBOX_BATCH_SIZE ?? '500'),
      lingerMs: Number(process.env.OUTBOX_LINGER_MS ?? '5'),
      headers: ENVELOPE_HEADERS,
    };
    // On a thread of its own unless the service or OUTBOX_RELAY_THREAD says no (see RelayThread).
    this.relay = !config.relayThread
      ? new OutboxRelay(dataSource, producer, config.kafka, relayOptions, logger.child('outbox'))
      : new RelayThread(
          {
            service: config.service,
            logLevel: process.env.LOG_LEVEL ?? 'info',
            kafka: config.kafka,
            options: relayOptions,
          },
          logger.child('outbox'),
        );
  }

  /** Appends events to the outbox in the caller's transaction, with the work bound to its manager. */
  publish(manager: EntityManager, events: NewEvent[]): Promise<EventEnvelope[]> {
    return this.writer.append(manager, events);
  }

  /**
   * The outbox INSERT for `events`, not run: to embed as a CTE in the caller's own statement
   * (placeholders from `$<offset + 1>`). Call `nudge()` after that statement commits.
   */
  outboxStatement(
    events: NewEvent[],
    /** The work the events come from (correlation, causation). */
    work: WorkContext,
    offset = 0,
    /** SQL over the statement's other CTEs: no row is written unless it holds. */
    onlyIf?: string,
  ): { sql: string; params: unknown[]; envelopes: EventEnvelope[] } {
    return this.writer.insertStatement(events, work, offset, onlyIf);
  }

  /**
   * Runs `fn` in a transaction bound to `work` and publishes what it returns through the outbox,
   * atomically.
   */
  async transaction<T>(
    work: WorkContext,
    fn: (manager: EntityManager) => Promise<{ result: T; events: NewEvent[] }>,
  ): Promise<T> {
    const result = await this.dataSource.transaction(async (manager) => {
      const out = await fn(bindWork(manager, work));
      await this.writer.append(manager, out.events);
      return out.result;
    });
    this.nudge();
    return result;
  }

  /**
   * Wakes the relay after a commit that wrote outbox rows: in this process, or — when another
   * replica holds the relay lock — through Redis (at most one message per 5 ms per process;
   * without Redis the relay's poll picks the rows up).
   */
  nudge(): void {
    this.relay.nudge();
    if (this.relay.relaying || this.wakePending) return;
    this.wakePending = setTimeout(() => {
      this.wakePending = undefined;
      this.redis.publish(this.wakeChannel, '').catch(() => undefined);
    }, 5);
    this.wakePending.unref();
  }

  /**
   * Registers a consumer; consumers start when the application has bootstrapped. The relay is
   * woken after a commit whose handler wrote outbox rows (not after every event: most events
   * consumed write none, and an empty relay cycle is a round trip for nothing).
   */
  consume(spec: ConsumerSpec): void {
    const { handle, handleChunk, alone, afterCommit } = spec;
    const wroteEvents = new WeakSet<object>();
    this.specs.push({
      ...spec,
      handle: async (event, manager, meta) => {
        const before = this.writer.prepared;
        await handle(event, manager, meta);
        // Another partition's handler may have written meanwhile: a wake too many, never one too few.
        if (this.writer.prepared !== before) wroteEvents.add(event);
      },
      ...(alone && {
        alone: async (event, manager, meta) => {
          const before = this.writer.prepared;
          const done = await alone(event, manager, meta);
          // A statement built but guarded off wrote nothing: `handle` follows, and decides.
          if (done && this.writer.prepared !== before) wroteEvents.add(event);
          return done;
        },
      }),
      ...(handleChunk && {
        handleChunk: async (items, manager, inbox) => {
          const before = this.writer.prepared;
          await handleChunk(items, manager, inbox);
          // One of the chunk's events stands for it: its afterCommit nudges the relay.
          if (this.writer.prepared !== before && items.length) wroteEvents.add(items[0].event);
        },
      }),
      afterCommit: (e, m) => {
        if (wroteEvents.delete(e)) this.nudge();
        afterCommit?.(e, m);
      },
    });
  }

  async onModuleInit(): Promise<void> {
    if (!this.dataSource.isInitialized) await this.dataSource.initialize();
    observePool(this.dataSource, 'main');
    if (this.config.migrateOnBoot) {
      const ran = await runMigrationsLocked(this.dataSource, this.config.schema);
      if (ran.length) this.log.info(`ran migrations: ${ran.join(', ')}`);
    }
    await this.producer.connect();
    await this.relay.start();
    this.subscribeWake();
  }

  private subscribeWake(): void {
    const sub = this.redis.duplicate({ lazyConnect: true });
    this.wakeSubscriber = sub;
    sub.on('error', () => undefined);
    sub.on('message', () => this.relay.nudge());
    sub
      .connect()
      .then(() => sub.subscribe(this.wakeChannel))
      .catch((err: Error) =>
        this.log.warn('outbox wake channel unavailable (the relay polls)', { error: err.message }),
      );
  }

  /**
   * The consumers' transactions run on a pool of their own (`CONSUMER_DB_POOL_SIZE`, default 12;
   * 0 shares the main pool): a bulkhead. HTTP requests and timers use the main pool
   * (`DB_POOL_SIZE`, default 8), so a burst of partner or dispatcher requests cannot take the
   * connections the case pipeline needs, nor the pipeline's long batch transactions those of the
   * API. The two add up to the 20 one shared pool had: on one busy JavaScript thread more
   * connections only interleave more work (20 + 16 doubled e2e latency at 100 cases/s;
   * BENCHMARKS.md, session 11). Shows as `<service>:consumers` in pg_stat_activity and
   * `pool="consumers"` in /metrics.
   */
  private async consumerDataSource(): Promise<DataSource> {
    const size = Number(process.env.CONSUMER_DB_POOL_SIZE ?? '12');
    if (!(size > 0)) return this.dataSource;
    const options = this.dataSource.options as PostgresConnectionOptions;
    const pool = new DataSource({
      ...options,
      applicationName: `${this.config.service}:consumers`,
      migrationsRun: false,
      extra: { ...(options.extra as object), max: size },
    });
    await pool.initialize();
    observePool(pool, 'consumers');
    this.consumerPool = pool;
    return pool;
  }

  async onApplicationBootstrap(): Promise<void> {
    const dataSource = this.specs.length ? await this.consumerDataSource() : this.dataSource;
    for (const spec of this.specs) {
      const runner = new EventConsumerRunner(
        this.kafka,
        this.config.kafka,
        this.config.service,
        this.config.schema,
        dataSource,
        this.producer,
        spec,
        this.log,
      );
      await runner.start();
      this.runners.push(runner);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.runners.map((r) => r.stop()));
    if (this.consumerPool?.isInitialized) await this.consumerPool.destroy().catch(() => undefined);
    await this.relay.stop().catch(() => undefined);
    if (this.wakePending) clearTimeout(this.wakePending);
    this.wakeSubscriber?.disconnect();
    await this.producer.disconnect().catch(() => undefined);
    this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy().catch(() => undefined);
  }
}
