import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import Redis from 'ioredis';
import { DataSource, EntitySchema, MixedList } from 'typeorm';
import { countKafkaRequests, createKafka } from '@app/messaging';
import { JsonLogger, startDefaultMetrics } from '@app/observability';
import { loadPlatformConfig, PlatformConfig } from './config';
import { createDataSource } from './database';
import { HealthController } from './health.controller';
import { HttpDrain } from './http-drain';
import { IdempotencyService } from './idempotency';
import { MessagingService } from './messaging.service';
import { RateLimiter } from './rate-limit';
import { KAFKA, KAFKA_PRODUCER, LOGGER, PLATFORM_CONFIG, REDIS } from './tokens';

type Ctor = abstract new (...args: never[]) => unknown;

export interface PlatformModuleOptions {
  service: string;
  defaultPort: number;
  entities: MixedList<Ctor | EntitySchema>;
  migrations: Ctor[];
  /** Overrides for tests (otherwise read from process.env at boot). */
  env?: NodeJS.ProcessEnv;
  /**
   * The outbox relay on a thread of its own unless OUTBOX_RELAY_THREAD says otherwise (default
   * true). A service that writes no outbox rows saves the thread's memory with false.
   */
  relayThread?: boolean;
}

/**
 * Everything a service needs from infrastructure, built once from validated config: Postgres
 * (TypeORM DataSource, migrations), Redis, Kafka producer, outbox relay and consumers, health,
 * metrics, idempotency and rate limits.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    const providers: Provider[] = [
      {
        provide: PLATFORM_CONFIG,
        useFactory: () =>
          loadPlatformConfig(options.service, options.defaultPort, options.env, options.relayThread),
      },
      {
        provide: LOGGER,
        useFactory: () => {
          startDefaultMetrics(options.service);
          return new JsonLogger(options.service);
        },
      },
      { provide: JsonLogger, useExisting: LOGGER },
      {
        provide: DataSource,
        inject: [PLATFORM_CONFIG],
        useFactory: (c: PlatformConfig) => createDataSource(c, options.entities, options.migrations),
      },
      {
        provide: REDIS,
        inject: [PLATFORM_CONFIG, LOGGER],
        useFactory: (c: PlatformConfig, logger: JsonLogger) => {
          const redis = new Redis(c.redisUrl, {
            keyPrefix: c.redisPrefix,
            maxRetriesPerRequest: 1,
            enableOfflineQueue: false,
            connectTimeout: 2000,
            commandTimeout: 1000,
            retryStrategy: (times) => Math.min(times * 200, 2000),
          });
          let warned = false;
          redis.on('error', (err) => {
            if (!warned) logger.warn('redis unavailable', { error: err.message });
            warned = true;
          });
          redis.on('ready', () => {
            warned = false;
          });
          return redis;
        },
      },
      {
        provide: KAFKA,
        inject: [PLATFORM_CONFIG, LOGGER],
        useFactory: (c: PlatformConfig, logger: JsonLogger) => createKafka(c.kafka, logger),
      },
      {
        provide: KAFKA_PRODUCER,
        inject: [KAFKA],
        useFactory: (kafka: ReturnType<typeof createKafka>) =>
          countKafkaRequests(
            kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }),
            'producer',
          ),
      },
      MessagingService,
      HttpDrain,
      {
        provide: IdempotencyService,
        inject: [DataSource, REDIS, PLATFORM_CONFIG, LOGGER],
        useFactory: (ds: DataSource, redis: Redis, c: PlatformConfig, logger: JsonLogger) =>
          new IdempotencyService(ds, redis, c.schema, logger),
      },
      {
        provide: RateLimiter,
        inject: [REDIS, LOGGER],
        useFactory: (redis: Redis, logger: JsonLogger) => new RateLimiter(redis, logger),
      },
    ];
    return {
      module: PlatformModule,
      controllers: [HealthController],
      providers,
      exports: providers.map((p) =>
        typeof p === 'function' ? p : (p as { provide: unknown }).provide,
      ) as never,
    };
  }
}
