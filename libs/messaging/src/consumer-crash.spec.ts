import type { DataSource } from 'typeorm';
import { Topic } from '@app/contracts';
import { JsonLogger } from '@app/observability';
import { EventConsumerRunner } from './consumer';

type Listener = (e: { payload: { error?: Error; restart?: boolean } }) => void;

function fakeKafka() {
  const consumers: { listeners: Map<string, Listener>; disconnected: boolean; runs: number }[] = [];
  const kafka = {
    consumer: () => {
      const c = { listeners: new Map<string, Listener>(), disconnected: false, runs: 0 };
      consumers.push(c);
      return {
        events: { REQUEST: 'request', GROUP_JOIN: 'group_join', CRASH: 'crash' },
        on: (event: string, l: Listener) => c.listeners.set(event, l),
        connect: async () => undefined,
        subscribe: async () => undefined,
        run: async () => void c.runs++,
        disconnect: async () => void (c.disconnected = true),
        commitOffsets: async () => undefined,
      };
    },
  };
  return { kafka, consumers };
}

describe('consumer runner after kafkajs gives up (non-retriable crash)', () => {
  const settings = { brokers: [], clientId: 't', topicPrefix: '', partitions: 1 };
  const logger = new JsonLogger('test', undefined, 'error');
  beforeEach(() => {
    jest.useFakeTimers();
    process.env.CONSUMER_LAG_INTERVAL_MS = '0';
  });
  afterEach(() => jest.useRealTimers());

  function runner(kafka: unknown) {
    return new EventConsumerRunner(
      kafka as never,
      settings,
      'test',
      'test',
      {} as DataSource,
      {} as never,
      { name: 'units', topics: [Topic.ReferenceUnits], handle: async () => undefined },
      logger,
    );
  }

  it('starts a new consumer when kafkajs will not restart it', async () => {
    const { kafka, consumers } = fakeKafka();
    const r = runner(kafka);
    await r.start();
    consumers[0].listeners.get('crash')!({
      payload: { error: new Error('Failed to find group coordinator'), restart: false },
    });
    await jest.advanceTimersByTimeAsync(2000);
    expect(consumers).toHaveLength(2);
    expect(consumers[1].runs).toBe(1);
    expect(consumers[0].disconnected).toBe(true);
    await r.stop();
  });

  it('leaves the restart to kafkajs when it restarts by itself, and does nothing once stopping', async () => {
    const { kafka, consumers } = fakeKafka();
    const r = runner(kafka);
    await r.start();
    consumers[0].listeners.get('crash')!({ payload: { error: new Error('retriable'), restart: true } });
    await jest.advanceTimersByTimeAsync(2000);
    expect(consumers).toHaveLength(1);
    await r.stop();
    consumers[0].listeners.get('crash')!({ payload: { error: new Error('late'), restart: false } });
    await jest.advanceTimersByTimeAsync(20_000);
    expect(consumers).toHaveLength(1);
  });
});
