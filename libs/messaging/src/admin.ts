import type { Kafka } from 'kafkajs';
import { ALL_TOPICS, COMPACTED_TOPICS, dlqTopicOf, Topic } from '@app/contracts';
import { KafkaSettings, topicName } from './kafka-settings';

/**
 * Creates every project topic and its DLQ with the configured partition count (auto-create is
 * off on the broker). Existing topics are left as they are. Reference topics are compacted.
 */
export async function ensureTopics(
  kafka: Kafka,
  settings: Pick<KafkaSettings, 'topicPrefix' | 'partitions'>,
  replicationFactor = Number(process.env.KAFKA_REPLICATION_FACTOR ?? '1'),
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = ALL_TOPICS.flatMap((t) => [
      { name: topicName(settings, t), compacted: COMPACTED_TOPICS.has(t as Topic) },
      { name: topicName(settings, dlqTopicOf(t)), compacted: false },
    ]).filter((t) => !existing.has(t.name));
    if (wanted.length) {
      await retryWhileBrokerBusy(() =>
        admin.createTopics({
          waitForLeaders: true,
          topics: wanted.map((t) => ({
            topic: t.name,
            numPartitions: settings.partitions,
            replicationFactor,
            configEntries: [
              ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
              { name: 'min.insync.replicas', value: String(Math.min(2, replicationFactor)) },
            ],
          })),
        }),
      );
      // createTopics may answer before every partition has a leader the client can see.
      await retryWhileBrokerBusy(() => admin.fetchTopicMetadata({ topics: wanted.map((t) => t.name) }));
    }
    return wanted.map((t) => t.name);
  } finally {
    await admin.disconnect();
  }
}

/** Retries admin calls that fail only because a busy broker has not caught up with itself yet. */
async function retryWhileBrokerBusy<T>(call: () => Promise<T>, attempts = 10): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      const e = err as { type?: string; retriable?: boolean; message?: string };
      const busy =
        e.type === 'UNKNOWN_TOPIC_OR_PARTITION' ||
        e.type === 'LEADER_NOT_AVAILABLE' ||
        e.type === 'NOT_CONTROLLER' ||
        /does not host this topic-partition|leader/i.test(e.message ?? '');
      if (!busy || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 200 * i));
    }
  }
}

export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string): Promise<void> {
  if (!prefix) throw new Error('refusing to delete topics without a prefix');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics({ topics, timeout: 10000 });
  } finally {
    await admin.disconnect();
  }
}
