import Redis from 'ioredis';
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { deleteTopicsWithPrefix, ensureTopics } from '@app/messaging';

/**
 * The bench's own slice of the real infrastructure: a fresh database `bench_<ts>` (so its
 * million-row tables never touch dev data), its own topic prefix (project topics created with the
 * production partition count) and Redis key prefix. Dropped at the end unless --keep.
 */
export interface BenchNamespace {
  id: string;
  dbName: string;
  databaseUrl: string;
  adminUrl: string;
  topicPrefix: string;
  redisPrefix: string;
  partitions: number;
  kafka: Kafka;
  /** Environment for a service (or ceiling stage) running in this namespace. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

export function infraFromEnv(): { kafkaBrokers: string; databaseUrl: string; redisUrl: string } {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const databaseUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL;
  if (!kafkaBrokers || !databaseUrl || !redisUrl)
    throw new Error('KAFKA_BROKERS, DATABASE_URL and REDIS_URL must be set (bench/run.sh does it)');
  return { kafkaBrokers, databaseUrl, redisUrl };
}

export async function createBenchNamespace(partitions: number): Promise<BenchNamespace> {
  const base = infraFromEnv();
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const id = `bench${stamp}${Math.floor(Math.random() * 1e4)
    .toString()
    .padStart(4, '0')}`;
  const dbName = `bench_${stamp}_${id.slice(-4)}`;
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
    clientId: `bench-${id}`,
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
  };
  return {
    id,
    dbName,
    databaseUrl,
    adminUrl: base.databaseUrl,
    topicPrefix,
    redisPrefix,
    partitions,
    kafka,
    env,
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
        // leftovers are namespaced away
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
