import type { Kafka, Producer } from 'kafkajs';
import { Topic } from '@app/contracts';
import { createTestNamespace, TestNamespace, waitFor } from '@app/testing';
import { KafkaWatch, LagSampler, WATCH_FETCH_WAIT_MS } from './kafka-watch';

/**
 * The bench's observers on real Kafka: the watch reads in large, late batches yet reports every
 * message with its own timestamp, and keeps up within its fetch wait even when little is written;
 * the lag sampler reads a group's lag over one admin connection and reconnects after a failure.
 */
describe('bench Kafka observers', () => {
  let ns: TestNamespace;
  let kafka: Kafka;
  let producer: Producer;
  let topic: string;

  beforeAll(async () => {
    ns = await createTestNamespace({ label: 'benchwatch', partitions: 3 });
    kafka = ns.kafka;
    topic = `${ns.topicPrefix}${Topic.CaseRouted}`;
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await ns?.cleanup();
  });

  it('starts when its group has joined; reports each message with its Kafka timestamp, a trickle within the fetch wait', async () => {
    const seen = new Map<string, { ts: number; value: Record<string, unknown> }>();
    const watch = new KafkaWatch(kafka, `${ns.topicPrefix}watch`, {
      [topic]: (value, ts, key) => seen.set(key ?? '?', { ts, value }),
    });
    const startedAt = Date.now();
    try {
      await watch.start();
      // start() returns once the group has joined, not at its 15 s fallback.
      expect(Date.now() - startedAt).toBeLessThan(10_000);
      // Far below the watch's batch size: only the fetch wait can answer these.
      for (let i = 0; i < 3; i++) {
        const stamp = Date.now() - 60_000 * (i + 1);
        const sentAt = Date.now();
        await producer.send({
          topic,
          acks: -1,
          messages: [
            { key: `case-${i}`, value: JSON.stringify({ caseId: `case-${i}`, i }), timestamp: String(stamp) },
          ],
        });
        await waitFor(() => seen.has(`case-${i}`), { timeoutMs: 10_000, what: `case-${i} watched` });
        // Well inside kafkajs's default 5 s wait, which a batch-size threshold alone would fall to.
        expect(Date.now() - sentAt).toBeLessThan(WATCH_FETCH_WAIT_MS + 2_000);
        expect(seen.get(`case-${i}`)).toEqual({ ts: stamp, value: { caseId: `case-${i}`, i } });
      }
    } finally {
      await watch.stop();
    }
  });

  it('samples a group lag over one admin connection, and connects afresh after a failed sample', async () => {
    const group = `${ns.topicPrefix}lagged`;
    const other = `${ns.topicPrefix}${Topic.CaseReported}`;
    await producer.send({
      topic: other,
      acks: -1,
      messages: [1, 2, 3, 4].map((i) => ({ key: `case-${i}`, value: JSON.stringify({ i }) })),
    });
    const setup = kafka.admin();
    await setup.connect();
    let total: number;
    try {
      const ends = await setup.fetchTopicOffsets(other);
      const high = ends.map((e) => ({ partition: e.partition, high: Number(e.high) }));
      total = high.reduce((n, e) => n + e.high, 0);
      expect(total).toBe(4);
      // The group has read one message of the four.
      const first = high.find((e) => e.high > 0)!;
      const partitions = high.map((e) => ({ partition: e.partition, offset: e === first ? '1' : '0' }));
      await setup.setOffsets({ groupId: group, topic: other, partitions });
    } finally {
      await setup.disconnect();
    }

    let admins = 0;
    const counting = Object.create(kafka) as Kafka;
    counting.admin = (...args: Parameters<Kafka['admin']>) => {
      admins++;
      return kafka.admin(...args);
    };
    const sampler = new LagSampler(counting, ns.topicPrefix, (g) => g !== group);
    try {
      await sampler.sample();
      await sampler.sample();
      expect(sampler.samples.map((s) => s.byGroup.lagged)).toEqual([total - 1, total - 1]);
      expect(admins).toBe(1);

      // A sample that fails is skipped, and the connection it failed on is not used again.
      const broken = (sampler as unknown as { admin: { listGroups: () => Promise<unknown> } }).admin;
      broken.listGroups = () => Promise.reject(new Error('broker gone'));
      await sampler.sample();
      expect(sampler.samples).toHaveLength(2);
      await sampler.sample();
      expect(sampler.samples.map((s) => s.byGroup.lagged)).toEqual([total - 1, total - 1, total - 1]);
      expect(admins).toBe(2);
    } finally {
      await sampler.stop();
    }
  });
});
