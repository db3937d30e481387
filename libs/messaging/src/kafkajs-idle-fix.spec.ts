import { installKafkajsIdleFix, scheduleCheckPendingRequests } from './kafkajs-idle-fix';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const RequestQueue = require('kafkajs/src/network/requestQueue');

function queue(overrides: Partial<{ throttledUntil: number; pending: unknown[] }> = {}) {
  return {
    throttledUntil: -1,
    throttleCheckTimeoutId: null as NodeJS.Timeout | null,
    pending: [] as unknown[],
    checkPendingRequests: jest.fn(),
    ...overrides,
  };
}

describe('kafkajs idle timer fix', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('schedules nothing when no request is pending and nothing is throttled (kafkajs re-armed a 1 ms timer here)', () => {
    const q = queue();
    scheduleCheckPendingRequests.call(q);
    expect(q.throttleCheckTimeoutId).toBeNull();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('checks pending requests again after 10 ms when some wait and nothing is throttled', () => {
    const q = queue({ pending: [{}] });
    scheduleCheckPendingRequests.call(q);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(9);
    expect(q.checkPendingRequests).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
    expect(q.throttleCheckTimeoutId).toBeNull();
  });

  it('waits for the broker throttle to end, pending or not', () => {
    for (const pending of [[], [{}]]) {
      const q = queue({ throttledUntil: Date.now() + 500, pending });
      scheduleCheckPendingRequests.call(q);
      jest.advanceTimersByTime(499);
      expect(q.checkPendingRequests).not.toHaveBeenCalled();
      jest.advanceTimersByTime(1);
      expect(q.checkPendingRequests).toHaveBeenCalledTimes(1);
    }
  });

  it('keeps a single timer when one is already armed', () => {
    const q = queue({ pending: [{}] });
    scheduleCheckPendingRequests.call(q);
    scheduleCheckPendingRequests.call(q);
    expect(jest.getTimerCount()).toBe(1);
  });

  it('is installed on the kafkajs request queue, once', () => {
    installKafkajsIdleFix();
    installKafkajsIdleFix();
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);
  });

  it('an idle kafkajs request queue arms no timer once the fix is in', () => {
    installKafkajsIdleFix();
    const logger = {
      namespace: () => logger,
      debug: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      info: () => undefined,
    };
    const q = new RequestQueue({
      instrumentationEmitter: { emit: () => undefined },
      maxInFlightRequests: 1,
      requestTimeout: 1000,
      enforceRequestTimeout: false,
      clientId: 't',
      broker: 'b',
      logger,
    });
    q.checkPendingRequests();
    expect(jest.getTimerCount()).toBe(0);
  });
});
