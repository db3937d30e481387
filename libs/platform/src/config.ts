import { KafkaSettings, kafkaSettingsFromEnv } from '@app/messaging';

/** What every service reads from its environment, once, at boot. */
export interface PlatformConfig {
  service: string;
  port: number;
  databaseUrl: string;
  /** Postgres schema this service owns. */
  schema: string;
  redisUrl: string;
  /** Prepended to every Redis key and channel (test isolation; empty in production). */
  redisPrefix: string;
  kafka: KafkaSettings;
  bodyLimit: string;
  /** Origins allowed by CORS; empty means CORS is closed. */
  corsOrigins: string[];
  /** Run this service's migrations at boot (under an advisory lock). */
  migrateOnBoot: boolean;
  /** Public base URL (for links in messages and OpenAPI). */
  publicUrl: string;
  /** The outbox relay on a thread of its own (OUTBOX_RELAY_THREAD, else the service's default). */
  relayThread: boolean;
}

export class ConfigError extends Error {}

export function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '')
    throw new ConfigError(`Missing required environment variable ${name}`);
  return v.trim();
}

export function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n))
    throw new ConfigError(`Environment variable ${name} must be a number, got "${raw}"`);
  return n;
}

export function loadPlatformConfig(
  service: string,
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
  /** The service's default for OUTBOX_RELAY_THREAD. */
  relayThread = true,
): PlatformConfig {
  const portVar = `${service.toUpperCase()}_PORT`;
  const port = intEnv(env, portVar, intEnv(env, 'PORT', defaultPort));
  return {
    service,
    port,
    databaseUrl: requireEnv(env, 'DATABASE_URL'),
    schema: env[`${service.toUpperCase()}_DB_SCHEMA`] ?? service,
    redisUrl: requireEnv(env, 'REDIS_URL'),
    redisPrefix: env.REDIS_PREFIX ?? '',
    kafka: { ...kafkaSettingsFromEnv(service, env), brokers: requireEnv(env, 'KAFKA_BROKERS').split(',') },
    bodyLimit: env.HTTP_BODY_LIMIT ?? '256kb',
    corsOrigins: (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    migrateOnBoot: (env.MIGRATE_ON_BOOT ?? 'true') !== 'false',
    publicUrl: env[`${service.toUpperCase()}_PUBLIC_URL`] ?? `http://localhost:${port}`,
    relayThread: env.OUTBOX_RELAY_THREAD === undefined ? relayThread : env.OUTBOX_RELAY_THREAD !== 'false',
  };
}
