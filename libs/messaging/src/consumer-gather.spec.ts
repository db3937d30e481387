import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { EventEnvelope, Topic } from '@app/contracts';
import { JsonLogger } from '@app/observability';
import { sampleReport } from '@app/testing';
import { eachBatchArgs, fakeKafka } from './__fixtures__/fake-kafka';
import { ChunkItem, ConsumerSpec, EventConsumerRunner, InboxClaim, withInbox } from './consumer';

/** A case.reported message (its description is its name), or a case.lifecycle one (its note is). */
function message(caseId: string, offset: number, name: string, topic = Topic.CaseReported) {
  const at = new Date().toISOString();
  const envelope = {
    eventId: randomUUID(),
    type: topic === Topic.CaseReported ? 'case.reported' : 'case.progress',
    schemaVersion: 1,
    key: caseId,
    caseId,
    correlationId: 'gather',
    occurredAt: at,
    producer: 'test',
    payload:
      topic === Topic.CaseReported
        ? sampleReport(caseId, name)
        : { caseId, reference: 'WL-1', status: 'in_progress', note: name, residentVisible: false, at },
  };
  return { key: Buffer.from(caseId), value: Buffer.from(JSON.stringify(envelope)), offset: String(offset) };
}

const nameOf = (e: EventEnvelope<unknown>) => {
  const p = e.payload as { description?: string; note?: string };
  return p.description ?? p.note ?? '';
};

/**
 * The runner gathers the chunks of a fetch's partitions (kafkajs hands them to its workers in the
 * same turn of the event loop) into one chunk for a consumer with a chunk handler: one statement
 * or transaction per fetch instead of one per partition.
 */
describe('consumer runner: the chunks of a fetch gathered across partitions', () => {
  const settings = { brokers: [], clientId: 't', topicPrefix: '', partitions: 3 };
  const logger = new JsonLogger('test', undefined, 'error');
  beforeAll(() => (process.env.CONSUMER_LAG_INTERVAL_MS = '0'));
  afterEach(() => delete process.env.CONSUMER_GATHER);

  /** What the consumer did: chunks (names, in the order given) and lone events. */
  interface Seen {
    chunks: string[][];
    lone: string[];
    resolved: Map<string, string[]>;
  }

  /**
   * Starts a runner on an 'only-statement' consumer whose chunk handler fails for any chunk holding
   * an event named in `failIn`, and hands it `batches` (topic, partition, messages) the way
   * kafkajs's workers do: every eachBatch called in the same turn.
   */
  async function run(
    batches: { topic: Topic; partition: number; messages: ReturnType<typeof message>[] }[],
    failIn: string[] = [],
  ): Promise<Seen> {
    const { kafka, captured } = fakeKafka();
    const seen: Seen = { chunks: [], lone: [], resolved: new Map() };
    const query = async () => [];
    const spec: ConsumerSpec = {
      name: 'gather',
      topics: [Topic.CaseReported, Topic.CaseLifecycle],
      inbox: 'only-statement',
      handle: async (event, manager, meta) => {
        seen.lone.push(nameOf(event));
        await manager.query(...withInbox(meta.inbox, 'SELECT 1', []));
      },
      handleChunk: async (items: ChunkItem[], manager: EntityManager, inbox?: InboxClaim) => {
        const names = items.map((i) => nameOf(i.event));
        if (names.some((n) => failIn.includes(n))) throw new Error(`chunk with ${names.join(',')} fails`);
        await manager.query(...withInbox(inbox, 'SELECT 1', []));
        seen.chunks.push(names);
      },
    };
    const runner = new EventConsumerRunner(
      kafka as never,
      settings,
      'test',
      'test',
      { manager: { query } } as unknown as DataSource,
      {} as never,
      spec,
      logger,
    );
    await runner.start();
    await Promise.all(
      batches.map(({ topic, partition, messages }) => {
        const key = `${topic}[${partition}]`;
        seen.resolved.set(key, []);
        return captured.eachBatch!(eachBatchArgs(topic, partition, messages, seen.resolved.get(key)!));
      }),
    );
    await runner.stop();
    return seen;
  }

  const a = randomUUID();
  const b = randomUUID();
  const c = randomUUID();

  it("takes one fetch's partitions as one chunk, each partition's events in their order", async () => {
    const seen = await run([
      { topic: Topic.CaseReported, partition: 0, messages: [message(a, 10, 'a1'), message(a, 11, 'a2')] },
      { topic: Topic.CaseReported, partition: 1, messages: [message(b, 20, 'b1')] },
      { topic: Topic.CaseReported, partition: 2, messages: [message(c, 30, 'c1')] },
    ]);
    expect(seen.chunks).toEqual([['a1', 'a2', 'b1', 'c1']]);
    expect(seen.lone).toEqual([]);
    expect(Object.fromEntries(seen.resolved)).toEqual({
      'case.reported.v1[0]': ['11'],
      'case.reported.v1[1]': ['20'],
      'case.reported.v1[2]': ['30'],
    });
  });

  it('keeps topics apart, and leaves a lone event its own statement', async () => {
    const seen = await run([
      { topic: Topic.CaseReported, partition: 0, messages: [message(a, 10, 'a1')] },
      { topic: Topic.CaseReported, partition: 1, messages: [message(b, 20, 'b1')] },
      { topic: Topic.CaseLifecycle, partition: 0, messages: [message(c, 30, 'c1', Topic.CaseLifecycle)] },
    ]);
    expect(seen.chunks).toEqual([['a1', 'b1']]);
    expect(seen.lone).toEqual(['c1']);
  });

  it('when the gathered chunk fails, tries each partition alone, then one event at a time', async () => {
    const seen = await run(
      [
        { topic: Topic.CaseReported, partition: 0, messages: [message(a, 10, 'a1'), message(a, 11, 'a2')] },
        { topic: Topic.CaseReported, partition: 1, messages: [message(b, 20, 'b1'), message(b, 21, 'bad')] },
        { topic: Topic.CaseReported, partition: 2, messages: [message(c, 30, 'c1')] },
      ],
      ['bad'],
    );
    // The partition without the failing event made its own chunk; the failing one went event by
    // event (its handler is not the chunk handler); the lone event of the third went alone.
    expect(seen.chunks).toEqual([['a1', 'a2']]);
    expect([...seen.lone].sort()).toEqual(['b1', 'bad', 'c1']);
    expect(seen.resolved.get('case.reported.v1[1]')).toEqual(['20', '21']);
    expect(seen.resolved.get('case.reported.v1[0]')).toEqual(['11']);
  });

  it('with CONSUMER_GATHER=false takes each partition alone', async () => {
    process.env.CONSUMER_GATHER = 'false';
    const seen = await run([
      { topic: Topic.CaseReported, partition: 0, messages: [message(a, 10, 'a1'), message(a, 11, 'a2')] },
      { topic: Topic.CaseReported, partition: 1, messages: [message(b, 20, 'b1'), message(b, 21, 'b2')] },
    ]);
    expect([...seen.chunks].sort()).toEqual([
      ['a1', 'a2'],
      ['b1', 'b2'],
    ]);
  });
});
