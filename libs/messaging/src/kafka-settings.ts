import type { Admin, Consumer, Kafka as KafkaClient, Producer } from 'kafkajs';
import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { counter, JsonLogger } from '@app/observability';
import { installKafkajsIdleFix } from './kafkajs-idle-fix';

const requests = counter(
  'kafka_client_requests_total',
  'Requests this process sent to Kafka, by client role and Kafka API (Fetch, Produce, OffsetCommit, ...)',
  ['client', 'api'],
);

/**
 * Counts every request a kafkajs client sends (its REQUEST instrumentation event). Each request
 * costs the broker a fixed amount of CPU whatever it carries, so requests per case is the number
 * to watch when Kafka's CPU grows.
 */
export function countKafkaRequests<C extends Producer | Consumer | Admin>(client: C, role: string): C {
  const on = client.on as (event: string, listener: (e: { payload: { apiName: string } }) => void) => void;
  on.call(client, client.events.REQUEST, (e) => requests.inc({ client: role, api: e.payload.apiName }));
  return client;
}

/** Adds requests a client in another thread of this process counted (per Kafka API). */
export function addKafkaRequests(role: string, byApi: Record<string, number>): void {
  for (const [api, n] of Object.entries(byApi)) requests.inc({ client: role, api }, n);
}

/** Kafka connection settings, read once at boot. */
export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Prepended to every topic and group id; empty in production, unique per test namespace. */
  topicPrefix: string;
  /** Partitions for topics this project creates (default 12). */
  partitions: number;
}

export function kafkaSettingsFromEnv(service: string, env: NodeJS.ProcessEnv = process.env): KafkaSettings {
  const brokers = (env.KAFKA_BROKERS ?? 'localhost:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const partitions = Number(env.KAFKA_PARTITIONS ?? '12');
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new Error(`KAFKA_PARTITIONS must be a positive integer`);
  return {
    brokers,
    clientId: env.KAFKA_CLIENT_ID ?? service,
    topicPrefix: env.KAFKA_TOPIC_PREFIX ?? '',
    partitions,
  };
}

export function topicName(settings: Pick<KafkaSettings, 'topicPrefix'>, topic: string): string {
  return `${settings.topicPrefix}${topic}`;
}

export function createKafka(settings: KafkaSettings, logger: JsonLogger): KafkaClient {
  installKafkajsIdleFix();
  const log = logger.child('kafkajs');
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, maxRetryTime: 5000, retries: 10 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error(message, rest);
        else log.warn(message, rest);
      },
  });
}
