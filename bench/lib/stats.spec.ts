import { keptUp, percentiles, rateWithinP99, stageLatencies } from './stats';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentiles(v)).toEqual({ n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([7])).toEqual({ n: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    expect(percentiles([]).n).toBe(0);
  });

  it('splits a case into stages and measures end to end from the scheduled send', () => {
    const s = stageLatencies([{ sent: 0, accepted: 10, routed: 30, assigned: 60, notified: 100, step: 0 }]);
    expect([s.intake.p50, s.routed.p50, s.assigned.p50, s.webhook.p50, s.e2e.p50]).toEqual([
      10, 20, 30, 40, 100,
    ]);
  });

  it('leaves out stages a case has not reached', () => {
    const s = stageLatencies([{ sent: 0, accepted: 10, step: 0 }]);
    expect(s.intake.n).toBe(1);
    expect(s.e2e.n).toBe(0);
  });

  it('calls a step saturated when completions lag, backlog stays or p99 explodes', () => {
    expect(keptUp(100, 99, 200, true).ok).toBe(true);
    expect(keptUp(100, 80, 200, true).ok).toBe(false);
    expect(keptUp(100, 99, 200, false).ok).toBe(false);
    expect(keptUp(100, 99, 9000, true).ok).toBe(false);
  });

  it('tells a step that kept the rate (the steps go on) from one that did not', () => {
    expect(keptUp(100, 99, 9000, true)).toEqual({ ok: false, why: 'p99 9000 ms > 5000 ms', rateKept: true });
    expect(keptUp(100, 80, 200, true).rateKept).toBe(false);
    expect(keptUp(100, 99, 200, false).rateKept).toBe(false);
  });

  it("calls a step not sustained when the units' side falls behind the webhooks", () => {
    expect(keptUp(100, 98, 3600, true, { rate: 40, backlog: 1825 })).toEqual({
      ok: false,
      why: 'partner work 40/s < 90 % of tasks notified 98/s (1825 left)',
      rateKept: false,
    });
    // Support units' tasks make the partner rate a little higher than the cases notified.
    expect(keptUp(50, 50.8, 1100, true, { rate: 53.6, backlog: 6 })).toEqual({
      ok: true,
      rateKept: true,
    });
    expect(keptUp(50, 50, 1100, true, { rate: 45, backlog: 20 }).ok).toBe(true);
    expect(keptUp(50, 50, 1100, true, { rate: 44.9, backlog: 20 }).rateKept).toBe(false);
  });

  it('finds the highest rate that met a p99 target, climbing until the first step that did not', () => {
    const step = (offered: number, p99Ms: number, rateKept = true) => ({ offered, p99Ms, rateKept });
    expect(rateWithinP99([step(20, 90), step(50, 140), step(100, 3900)], 150)).toBe(50);
    expect(rateWithinP99([step(20, 90), step(50, 150)], 150)).toBe(50);
    // A later step that happens to pass does not count once one has missed.
    expect(rateWithinP99([step(20, 90), step(50, 400), step(100, 120)], 150)).toBe(20);
    // Latency met but the rate not kept (reports refused, backlog left) is not meeting it.
    expect(rateWithinP99([step(20, 90), step(50, 100, false)], 150)).toBe(20);
    expect(rateWithinP99([step(20, 200)], 150)).toBe(0);
    expect(rateWithinP99([step(20, Number.NaN)], 150)).toBe(0);
    expect(rateWithinP99([], 150)).toBe(0);
    // With no latency limit: the highest rate kept, at any p99.
    expect(rateWithinP99([step(20, 90), step(50, 1100), step(100, 3600, false)], Infinity)).toBe(50);
  });
});
