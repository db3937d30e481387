import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { deleteTopicsWithPrefix, ensureTopics } from '@app/messaging';

/**
 * An isolated slice of the real infrastructure for one test file: its own Postgres database,
 * its own topic prefix (topics created, with DLQs), its own Redis key prefix. Tests in parallel
 * or leftovers of earlier runs never see each other's data.
 */
export interface TestNamespace {
  id: string;
  databaseUrl: string;
  topicPrefix: string;
  redisPrefix: string;
  /** Environment for a service running in this namespace. */
  env: Record<string, string>;
  kafka: Kafka;
  /** Sets this namespace's env on process.env (for services booted in-process). */
  apply(): void;
  cleanup(): Promise<void>;
}

export function baseEnv(): { kafkaBrokers: string; databaseUrl: string; redisUrl: string } {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!kafkaBrokers || !databaseUrl || !redisUrl) {
    throw new Error(
      'KAFKA_BROKERS, DATABASE_URL and REDIS_URL must be set (the integration global setup does it)',
    );
  }
  return { kafkaBrokers, databaseUrl, redisUrl };
}

export async function createTestNamespace(
  options: { partitions?: number; label?: string } = {},
): Promise<TestNamespace> {
  const base = baseEnv();
  const id = `${(options.label ?? 't')
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 12)}${randomBytes(4).toString('hex')}`;
  const dbName = `test_${id}`;
  const admin = new Client({ connectionString: base.databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${dbName}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base.databaseUrl);
  url.pathname = `/${dbName}`;
  const databaseUrl = url.toString();
  const topicPrefix = `${id}.`;
  const redisPrefix = `${id}:`;
  const kafka = new Kafka({
    clientId: `test-${id}`,
    brokers: base.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  await ensureTopics(kafka, { topicPrefix, partitions: options.partitions ?? 3 });
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: base.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    KAFKA_PARTITIONS: String(options.partitions ?? 3),
    REDIS_URL: base.redisUrl,
    REDIS_PREFIX: redisPrefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
  };
  return {
    id,
    databaseUrl,
    topicPrefix,
    redisPrefix,
    env,
    kafka,
    apply() {
      Object.assign(process.env, env);
    },
    async cleanup() {
      await deleteTopicsWithPrefix(kafka, topicPrefix).catch(() => undefined);
      const redis = new Redis(base.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } catch {
        // Redis may be stopped by the test itself; leftovers expire or are namespaced away.
      } finally {
        redis.disconnect();
      }
      const c = new Client({ connectionString: base.databaseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      } catch {
        // best effort
      } finally {
        await c.end();
      }
    },
  };
}
