import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { deleteTopicsWithPrefix, ensureTopics, installKafkajsIdleFix } from '@app/messaging';

/**
 * An isolated slice of the real infrastructure: its own Postgres database, its own topic prefix
 * (topics created, with DLQs), its own Redis key prefix. Users of one never see another's data.
 * Tests get one per file (createTestNamespace); the bench gets one per run (bench/lib/namespace).
 */
export interface InfraNamespace {
  id: string;
  dbName: string;
  databaseUrl: string;
  topicPrefix: string;
  redisPrefix: string;
  partitions: number;
  /** Environment for a service running in this namespace. */
  env: Record<string, string>;
  kafka: Kafka;
  /** Deletes the topics, the Redis keys and the database (best effort). */
  cleanup(): Promise<void>;
}

export interface TestNamespace extends InfraNamespace {
  /** Sets this namespace's env on process.env (for services booted in-process). */
  apply(): void;
}

export function baseEnv(): { kafkaBrokers: string; databaseUrl: string; redisUrl: string } {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!kafkaBrokers || !databaseUrl || !redisUrl) {
    throw new Error('KAFKA_BROKERS, DATABASE_URL and REDIS_URL must be set');
  }
  return { kafkaBrokers, databaseUrl, redisUrl };
}

/** Creates the database and the topics of a namespace named `id` (database `dbName`). */
export async function createInfraNamespace(o: {
  id: string;
  dbName: string;
  partitions: number;
  env?: Record<string, string>;
}): Promise<InfraNamespace> {
  const base = baseEnv();
  const { id, dbName, partitions } = o;
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
  installKafkajsIdleFix();
  const kafka = new Kafka({
    clientId: id,
    brokers: base.kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  await ensureTopics(kafka, { topicPrefix, partitions });
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: base.kafkaBrokers,
    KAFKA_TOPIC_PREFIX: topicPrefix,
    KAFKA_PARTITIONS: String(partitions),
    REDIS_URL: base.redisUrl,
    REDIS_PREFIX: redisPrefix,
    ...o.env,
  };
  return {
    id,
    dbName,
    databaseUrl,
    topicPrefix,
    redisPrefix,
    partitions,
    env,
    kafka,
    async cleanup() {
      await deleteTopicsWithPrefix(kafka, topicPrefix).catch(() => undefined);
      const redis = new Redis(base.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length) await redis.del(...keys);
        } while (cursor !== '0');
      } catch {
        // Redis may be stopped by a test itself; leftovers are namespaced away.
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

/** One test file's namespace (3 partitions unless asked). */
export async function createTestNamespace(
  options: { partitions?: number; label?: string } = {},
): Promise<TestNamespace> {
  const id = `${(options.label ?? 't')
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 12)}${randomBytes(4).toString('hex')}`;
  const ns = await createInfraNamespace({
    id,
    dbName: `test_${id}`,
    partitions: options.partitions ?? 3,
    env: { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error' },
  });
  return {
    ...ns,
    apply() {
      Object.assign(process.env, ns.env);
    },
  };
}
