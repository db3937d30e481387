import { DomainError } from '@app/contracts';
import { InFlightGate } from './in-flight-gate';

/** A piece of work that ends when the test says so. */
function held<T>(value: T) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  let started = false;
  return {
    work: async () => {
      started = true;
      await done;
      return value;
    },
    release: () => release(),
    get started() {
      return started;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('InFlightGate', () => {
  it('runs at most `limit` at once and the rest in arrival order as slots free', async () => {
    const gate = new InFlightGate(2, 10);
    const w = [held(1), held(2), held(3), held(4)];
    const answers = w.map((x) => gate.run(x.work));
    await tick();
    expect(w.map((x) => x.started)).toEqual([true, true, false, false]);
    expect(gate.load).toEqual({ active: 2, waiting: 2 });

    w[1].release();
    await tick();
    expect(w.map((x) => x.started)).toEqual([true, true, true, false]);
    expect(gate.load).toEqual({ active: 2, waiting: 1 });

    w[0].release();
    w[2].release();
    await tick();
    expect(w[3].started).toBe(true);
    w[3].release();
    expect(await Promise.all(answers)).toEqual([1, 2, 3, 4]);
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
  });

  it('frees the slot of work that fails', async () => {
    const gate = new InFlightGate(1, 10);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(gate.load).toEqual({ active: 0, waiting: 0 });
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });

  it('refuses with a 503 and Retry-After once `maxWaiting` wait, and takes more when the line moves', async () => {
    const gate = new InFlightGate(1, 1);
    const first = held('a');
    const second = held('b');
    const running = gate.run(first.work);
    const waiting = gate.run(second.work);
    const refused = await gate.run(async () => 'c').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'PARTNER.BUSY', status: 503, details: { retryAfterSeconds: 1 } });

    first.release();
    await tick();
    const third = gate.run(async () => 'c');
    second.release();
    expect(await Promise.all([running, waiting, third])).toEqual(['a', 'b', 'c']);
  });
});
