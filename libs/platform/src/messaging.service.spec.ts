import { Topic } from '@app/contracts';
import { sampleReport } from '@app/testing';
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

describe('MessagingService.consume: the relay is woken after commits that wrote events', () => {
  const caseId = '6f1c8a52-3d8e-4b4e-9a51-0d1f0c6f7a10';
  const reported = sampleReport(caseId, '路灯不亮');

  it('nudges after a handler that built an outbox statement, not after one that wrote none', async () => {
    const { svc } = service();
    const nudges = jest.spyOn(svc, 'nudge').mockImplementation(() => undefined);
    const afterCommits: string[] = [];
    svc.consume({
      name: 'c',
      topics: [],
      handle: async (event) => {
        if (event.type === 'writes')
          svc.outboxStatement(
            [{ topic: Topic.CaseReported, type: 'case.reported', key: caseId, payload: reported }],
            { correlationId: 'c-1' },
          );
      },
      afterCommit: (e) => void afterCommits.push(e.type),
    });
    const spec = (svc as unknown as { specs: import('@app/messaging').ConsumerSpec[] }).specs[0];
    const meta = { topic: 'case.reported' as never, partition: 0, offset: '0' };
    const quiet = { type: 'quiet' } as never;
    const writes = { type: 'writes' } as never;
    await spec.handle(quiet, {} as never, meta);
    spec.afterCommit!(quiet, meta);
    expect(nudges).not.toHaveBeenCalled();
    await spec.handle(writes, {} as never, meta);
    spec.afterCommit!(writes, meta);
    expect(nudges).toHaveBeenCalledTimes(1);
    // The spec's own afterCommit still runs for both.
    expect(afterCommits).toEqual(['quiet', 'writes']);
  });
  it('nudges once after a chunk handler that built an outbox statement, not after one that wrote none', async () => {
    const { svc } = service();
    const nudges = jest.spyOn(svc, 'nudge').mockImplementation(() => undefined);
    svc.consume({
      name: 'c',
      topics: [],
      handle: async () => undefined,
      handleChunk: async (items) => {
        if (items.some((i) => i.event.type === 'writes'))
          svc.outboxStatement(
            [{ topic: Topic.CaseReported, type: 'case.reported', key: caseId, payload: reported }],
            { correlationId: 'c-1' },
          );
      },
    });
    const spec = (svc as unknown as { specs: import('@app/messaging').ConsumerSpec[] }).specs[0];
    const item = (type: string, offset: string) => ({
      event: { type } as never,
      meta: { topic: 'case.reported' as never, partition: 0, offset },
    });
    const quiet = [item('quiet', '0'), item('quiet', '1')];
    await spec.handleChunk!(quiet, {} as never);
    for (const i of quiet) spec.afterCommit!(i.event, i.meta);
    expect(nudges).not.toHaveBeenCalled();
    const writes = [item('quiet', '2'), item('writes', '3'), item('quiet', '4')];
    await spec.handleChunk!(writes, {} as never);
    for (const i of writes) spec.afterCommit!(i.event, i.meta);
    expect(nudges).toHaveBeenCalledTimes(1);
  });

  it('nudges after an alone statement that did the work, and leaves a guarded-off one to handle', async () => {
    const { svc } = service();
    const nudges = jest.spyOn(svc, 'nudge').mockImplementation(() => undefined);
    const build = () =>
      svc.outboxStatement(
        [{ topic: Topic.CaseReported, type: 'case.reported', key: caseId, payload: reported }],
        { correlationId: 'c-1' },
      );
    svc.consume({
      name: 'c',
      topics: [],
      // The handler writes nothing here: only alone's outcome decides the wake.
      handle: async () => undefined,
      alone: async (event) => {
        build();
        return event.type === 'done';
      },
    });
    const spec = (svc as unknown as { specs: import('@app/messaging').ConsumerSpec[] }).specs[0];
    const meta = { topic: 'case.reported' as never, partition: 0, offset: '0' };
    const guardedOff = { type: 'needs-handle' } as never;
    expect(await spec.alone!(guardedOff, {} as never, meta)).toBe(false);
    await spec.handle(guardedOff, {} as never, meta);
    spec.afterCommit!(guardedOff, meta);
    expect(nudges).not.toHaveBeenCalled();
    const done = { type: 'done' } as never;
    expect(await spec.alone!(done, {} as never, meta)).toBe(true);
    spec.afterCommit!(done, meta);
    expect(nudges).toHaveBeenCalledTimes(1);
  });
});
