import type { JsonLogger } from '@app/observability';
import { claimSize } from '../deliveries/deliveries.repository';
import type { ClaimedDelivery, DeliveriesRepository } from '../deliveries/deliveries.repository';
import { loadNotificationConfig } from '../notification.config';
import { DeliveryWorker } from './delivery.worker';
import type { ProviderRegistry } from './provider-registry';

const logger = {
  child: () => logger,
  warn: () => undefined,
  error: () => undefined,
  info: () => undefined,
  debug: () => undefined,
} as unknown as JsonLogger;

function row(id: string): ClaimedDelivery {
  return {
    id,
    seq: '1',
    channel: 'sms',
    endpoint: '+86100',
    recipient: 'resident:reporter',
    attempts: 1,
    total_attempts: 1,
    occurred_at: new Date(),
    claim_token: 'token',
    webhook_secret: null,
  } as unknown as ClaimedDelivery;
}

const turn = () => new Promise((r) => setImmediate(r));
const settle = async () => {
  for (let i = 0; i < 10; i++) await turn();
};

describe('DeliveryWorker: when it claims', () => {
  let claims: ClaimedDelivery[][];
  let laneHasMore: boolean;
  let claim: jest.Mock;
  let worker: DeliveryWorker;

  beforeEach(() => {
    claims = [];
    laneHasMore = false;
    claim = jest.fn(async () => Promise.resolve(claims.shift() ?? []));
    const repo = {
      claim,
      complete: jest.fn(async () => Promise.resolve({ recorded: true, laneHasMore })),
    } as unknown as DeliveriesRepository;
    const providers = {
      for: () => ({ name: 'dev', send: async () => Promise.resolve({ ok: true }) }),
    } as unknown as ProviderRegistry;
    const config = { ...loadNotificationConfig({}), pollMs: 60_000, concurrency: 4 };
    worker = new DeliveryWorker(config, repo, providers, logger);
  });

  afterEach(async () => {
    await worker.beforeApplicationShutdown();
  });

  it('makes one claim for many wake-ups in one turn (a consumer batch commits many events)', async () => {
    worker.onApplicationBootstrap();
    await settle();
    expect(claim).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 32; i++) worker.wake();
    await settle();
    expect(claim).toHaveBeenCalledTimes(2);
  });

  it('does not claim after a send whose lane has nothing more, claims when it has', async () => {
    claims.push([row('a')]);
    worker.onApplicationBootstrap();
    await settle();
    // The boot claim (one row, slots left: nothing else was due); the send ends, nothing waits.
    expect(claim).toHaveBeenCalledTimes(1);

    laneHasMore = true;
    claims.push([row('b')]);
    worker.wake();
    await settle();
    // The wake's claim, then one after the send because its lane has more.
    expect(claim).toHaveBeenCalledTimes(3);
  });

  it('asks for a power of two, and for the rest when it got all it asked for', async () => {
    expect([0, 1, 2, 3, 5, 6, 31, 32, 33, 5000].map(claimSize)).toEqual([0, 1, 2, 2, 4, 4, 16, 32, 32, 1024]);
    let sending = true;
    const repo = {
      claim,
      // Sends stay in flight, so the slots they hold are not free again during the test.
      complete: jest.fn(() => new Promise(() => undefined)),
    } as unknown as DeliveriesRepository;
    const providers = {
      for: () => ({
        name: 'dev',
        send: () => (sending ? new Promise(() => undefined) : Promise.resolve({ ok: true })),
      }),
    } as unknown as ProviderRegistry;
    const six = new DeliveryWorker(
      { ...loadNotificationConfig({}), pollMs: 60_000, concurrency: 6 },
      repo,
      providers,
      logger,
    );
    claims.push([row('a'), row('b'), row('c'), row('d')], [row('e')]);
    six.onApplicationBootstrap();
    await settle();
    // Six free: four asked and got; two free: two asked, one got (the backlog is over).
    expect(claim.mock.calls.map((c: unknown[]) => c[0])).toEqual([4, 2]);
    sending = false;
    void six.beforeApplicationShutdown();
  });

  it('claims again after each send while the last claim filled every slot', async () => {
    claims.push([row('a'), row('b'), row('c'), row('d')]);
    worker.onApplicationBootstrap();
    await settle();
    // Full claim → loop once more (nothing), then each finished send is free to look again,
    // coalesced into few claims; the last one finds nothing and the backlog is over.
    const after = claim.mock.calls.length;
    expect(after).toBeGreaterThanOrEqual(2);
    worker.wake();
    await settle();
    expect(claim.mock.calls.length).toBe(after + 1);
  });
});
