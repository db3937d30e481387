import { Client } from 'pg';
import type { Kafka } from 'kafkajs';

/** The ceiling's topics: one per Kafka hop of the real pipeline. */
export const CEILING_TOPICS = ['reported', 'routed', 'lifecycle'] as const;
export const CEILING_ROLES = ['intake', 'routing', 'dispatch', 'notification'] as const;
export type CeilingRole = (typeof CEILING_ROLES)[number];

/**
 * Tables of the bare pipeline, in schema `ceiling` of the bench database: per role an outbox and
 * an inbox (like every service), and one plain row per effect. No business logic, no validation.
 */
export async function createCeilingSchema(databaseUrl: string): Promise<void> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query('CREATE SCHEMA IF NOT EXISTS ceiling');
    for (const role of CEILING_ROLES) {
      await c.query(`CREATE TABLE IF NOT EXISTS ceiling.outbox_${role} (
        id bigserial PRIMARY KEY, topic text NOT NULL, message_key text NOT NULL, envelope jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ceiling.inbox_${role} (
        event_id uuid NOT NULL, consumer text NOT NULL, topic text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (event_id, consumer))`);
    }
    await c.query(`CREATE TABLE IF NOT EXISTS ceiling.reports (
      case_id uuid PRIMARY KEY, body jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`CREATE TABLE IF NOT EXISTS ceiling.resident_view (
      case_id uuid PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`CREATE TABLE IF NOT EXISTS ceiling.decisions (
      case_id uuid PRIMARY KEY, unit_id text NOT NULL, decided_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`CREATE TABLE IF NOT EXISTS ceiling.cases (
      case_id uuid PRIMARY KEY, status text NOT NULL, body jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`CREATE TABLE IF NOT EXISTS ceiling.tasks (
      case_id uuid PRIMARY KEY, unit_id text NOT NULL, status text NOT NULL, due_at timestamptz NOT NULL)`);
    await c.query(`CREATE TABLE IF NOT EXISTS ceiling.ops_view (
      case_id uuid PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`CREATE TABLE IF NOT EXISTS ceiling.deliveries (
      id bigserial PRIMARY KEY, case_id uuid NOT NULL, event_type text NOT NULL, status text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(), sent_at timestamptz)`);
  } finally {
    await c.end();
  }
}

export async function createCeilingTopics(kafka: Kafka, prefix: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = CEILING_TOPICS.map((t) => `${prefix}${t}`).filter((t) => !existing.has(t));
    if (topics.length)
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 1 })),
        })
        .catch(() => undefined);
    // Leaders can take a moment on a busy broker: wait until every partition has one.
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const md = await admin.fetchTopicMetadata({ topics: CEILING_TOPICS.map((t) => `${prefix}${t}`) });
        if (
          md.topics.every(
            (t) => t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0),
          )
        )
          break;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error('ceiling topics have no leaders after 30 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await admin.disconnect();
  }
}
