import { statementRates } from './pg-meter';
import { stepTable } from './report';
import type { StepResult } from './runner';

describe("the bench's Postgres statement column", () => {
  it('turns two readings into statements and execution time per second and statements per report', () => {
    expect(
      statementRates({ calls: 1000, execMs: 500 }, { calls: 41_000, execMs: 9_500 }, 20_000, 2_000),
    ).toEqual({ perSec: 2000, execMsPerSec: 450, perCase: 20 });
    // No report sent: no per-report figure rather than a division by zero.
    expect(statementRates({ calls: 0, execMs: 0 }, { calls: 10, execMs: 1 }, 1000, 0).perCase).toBe(0);
  });

  it('shows the rates in the step table, and a dash where Postgres could not be read', () => {
    const p = { n: 1, p50: 1, p95: 1, p99: 1, max: 1 };
    const step: StepResult = {
      target: 'real',
      offered: 100,
      seconds: 45,
      sent: 4500,
      accepted: 4500,
      failures: {},
      achieved: 100,
      notified: 4500,
      triaged: 0,
      incomplete: 0,
      drainMs: 0,
      latency: { intake: p, routed: p, assigned: p, webhook: p, e2e: p },
      maxLag: 10,
      procs: {},
      partnerErrors: 0,
      partnerRate: 100,
      partnerBacklog: 0,
      partnerMs: p,
      ok: true,
      rateKept: true,
    };
    const [head, , measured, unmeasured] = stepTable([
      { ...step, pg: { perSec: 1907, execMsPerSec: 443, perCase: 19.1 } },
      step,
    ]).split('\n');
    const column = head.split(' | ').indexOf('Postgres statements/s · exec ms/s (per report)');
    expect(column).toBeGreaterThan(0);
    expect(measured.split(' | ')[column]).toBe('1907 · 443 (19.1)');
    expect(unmeasured.split(' | ')[column]).toBe('–');
  });
});
