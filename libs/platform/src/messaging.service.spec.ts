import { JsonLogger } from '@app/observability';
import { MessagingService } from './messaging.service';
import type { PlatformConfig } from './config';

function service() {
  const published: string[] = [];
  const redis = { publish: async (channel: string) => void published.push(channel) };
  const config = {
    service: 'intake',
    schema: 'intake',
    redisPrefix: 't1:',
    databaseUrl: 'postgres://unused',
    kafka: { brokers: [], clientId: 'x', topicPrefix: '', partitions: 1 },
  } as unknown as PlatformConfig;
  const svc = new MessagingService(
    config,
    {} as never,
    {} as never,
    {} as never,
    redis as never,
    new JsonLogger('test', undefined, 'error'),
  );
  const relay = (svc as unknown as { relay: { holdsLock: boolean } }).relay;
  return { svc, relay, published };
}

describe('MessagingService.nudge: waking the relay in another replica', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('publishes one wake on Redis for a burst of commits when another replica holds the relay', async () => {
    const { svc, published } = service();
    for (let i = 0; i < 20; i++) svc.nudge();
    expect(published).toEqual([]);
    await jest.advanceTimersByTimeAsync(5);
    expect(published).toEqual(['t1:outbox-wake:intake']);
    svc.nudge();
    await jest.advanceTimersByTimeAsync(5);
    expect(published).toHaveLength(2);
  });

  it('sends nothing through Redis when this process relays', async () => {
    const { svc, relay, published } = service();
    relay.holdsLock = true;
    svc.nudge();
    await jest.advanceTimersByTimeAsync(10);
    expect(published).toEqual([]);
  });
});
