import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Topic } from '@app/contracts';
import { JsonLogger } from '@app/observability';
import { sampleReport } from '@app/testing';
import { eachBatchArgs, fakeKafka } from './__fixtures__/fake-kafka';
import { ConsumerSpec, EventConsumerRunner } from './consumer';

function message(caseId: string, offset: number, description: string) {
  const envelope = {
    eventId: randomUUID(),
    type: 'case.reported',
    schemaVersion: 1,
    key: caseId,
    caseId,
    correlationId: 'lanes',
    occurredAt: new Date().toISOString(),
    producer: 'test',
    payload: sampleReport(caseId, description),
  };
  return { key: Buffer.from(caseId), value: Buffer.from(JSON.stringify(envelope)), offset: String(offset) };
}

/**
 * The runner's key lanes (a consumer with `alone`, or 'only-statement' without a chunk handler):
 * a chunk's events of one key one after the other in partition order, other keys' at the same
 * time, and the chunk's offset resolved once every lane is done.
 */
describe('consumer runner: a chunk taken by key lanes', () => {
  const settings = { brokers: [], clientId: 't', topicPrefix: '', partitions: 1 };
  const logger = new JsonLogger('test', undefined, 'error');
  beforeAll(() => (process.env.CONSUMER_LAG_INTERVAL_MS = '0'));

  async function run(spec: Partial<ConsumerSpec>, messages: ReturnType<typeof message>[]) {
    const { kafka, captured } = fakeKafka();
    const runner = new EventConsumerRunner(
      kafka as never,
      settings,
      'test',
      'test',
      { manager: { query: async () => [] } } as unknown as DataSource,
      {} as never,
      { name: 'lanes', topics: [Topic.CaseReported], handle: async () => undefined, ...spec },
      logger,
    );
    await runner.start();
    const resolved: string[] = [];
    await captured.eachBatch!(eachBatchArgs(Topic.CaseReported, 0, messages, resolved));
    await runner.stop();
    return resolved;
  }

  it("keeps each key's order and runs the keys side by side", async () => {
    const a = randomUUID();
    const b = randomUUID();
    const log: string[] = [];
    const resolved = await run(
      {
        inbox: 'first-statement',
        alone: async (event, _manager, meta) => {
          const name = (event.payload as { description: string }).description;
          log.push(`start ${name}`);
          meta.inbox!.cte(0, 'true');
          // The first event of key a is slow: a lane per event would start a2 before it ends.
          await new Promise((r) => setTimeout(r, name === 'a1' ? 40 : 1));
          log.push(`end ${name}`);
          return true;
        },
      },
      [message(a, 10, 'a1'), message(b, 11, 'b1'), message(a, 12, 'a2'), message(b, 13, 'b2')],
    );
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b2')).toBeGreaterThan(log.indexOf('end b1'));
    // Key b did not wait for key a's slow event.
    expect(log.indexOf('end b2')).toBeLessThan(log.indexOf('end a1'));
    expect(resolved).toEqual(['13']);
  });

  it('hands an event alone could not take to handle, in its place in the lane', async () => {
    const a = randomUUID();
    const log: string[] = [];
    await run(
      {
        inbox: 'only-statement',
        alone: async (event, _manager, meta) => {
          const name = (event.payload as { description: string }).description;
          if (name === 'a1') return false;
          meta.inbox!.cte(0, 'true');
          log.push(`alone ${name}`);
          return true;
        },
        handle: async (event, manager, meta) => {
          await new Promise((r) => setTimeout(r, 20));
          log.push(`handle ${(event.payload as { description: string }).description}`);
          await manager.query(...meta.inbox!.into('SELECT 1', []));
        },
      },
      [message(a, 0, 'a1'), message(a, 1, 'a2')],
    );
    expect(log).toEqual(['handle a1', 'alone a2']);
  });

  it('runs at most CONSUMER_LANES_AT_ONCE lanes of a chunk at a time', async () => {
    process.env.CONSUMER_LANES_AT_ONCE = '2';
    let running = 0;
    let most = 0;
    const keys = Array.from({ length: 5 }, () => randomUUID());
    const done: string[] = [];
    await run(
      {
        inbox: 'first-statement',
        alone: async (event, _manager, meta) => {
          running++;
          most = Math.max(most, running);
          meta.inbox!.cte(0, 'true');
          await new Promise((r) => setTimeout(r, 5));
          running--;
          done.push((event.payload as { description: string }).description);
          return true;
        },
      },
      keys.map((k, i) => message(k, i, `k${i}`)),
    );
    delete process.env.CONSUMER_LANES_AT_ONCE;
    expect(most).toBe(2);
    expect(done.sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
  });
});
