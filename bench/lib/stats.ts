/** Percentiles over raw samples (nearest rank); the bench keeps every sample, they are few. */
export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const at = (q: number) =>
    v.length ? v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))] : NaN;
  return {
    n: v.length,
    p50: round1(at(0.5)),
    p95: round1(at(0.95)),
    p99: round1(at(0.99)),
    max: round1(v.length ? v[v.length - 1] : NaN),
  };
}

export const round1 = (x: number): number => (Number.isFinite(x) ? Math.round(x * 10) / 10 : NaN);

/** Timestamps (ms since epoch, fractional) of one case through the pipeline. */
export interface CaseTimes {
  /** When the load generator was scheduled to send the report (open loop: not when it got a socket). */
  sent: number;
  /** 201 received by the client. */
  accepted?: number;
  status?: number;
  /** `case.routed` produced (Kafka message timestamp). */
  routed?: number;
  /** Task assigned: `case.assigned` on the lifecycle topic (Kafka message timestamp). */
  assigned?: number;
  /** The unit's webhook for `case.assigned` received by the local receiver. */
  notified?: number;
  step: number;
}

export interface StageLatencies {
  intake: Percentiles;
  routed: Percentiles;
  assigned: Percentiles;
  webhook: Percentiles;
  e2e: Percentiles;
}

export function stageLatencies(cases: CaseTimes[]): StageLatencies {
  const d = (f: (c: CaseTimes) => number | undefined) =>
    percentiles(cases.map(f).filter((x): x is number => typeof x === 'number' && Number.isFinite(x)));
  return {
    intake: d((c) => (c.accepted !== undefined ? c.accepted - c.sent : undefined)),
    routed: d((c) =>
      c.routed !== undefined && c.accepted !== undefined ? c.routed - c.accepted : undefined,
    ),
    assigned: d((c) =>
      c.assigned !== undefined && c.routed !== undefined ? c.assigned - c.routed : undefined,
    ),
    webhook: d((c) =>
      c.notified !== undefined && c.assigned !== undefined ? c.notified - c.assigned : undefined,
    ),
    e2e: d((c) => (c.notified !== undefined ? c.notified - c.sent : undefined)),
  };
}

/**
 * Did a step keep up? Completions in the window must reach 90 % of the offered rate, the
 * backlog left at the end must drain, the units' side must keep pace (the partner simulator
 * accepting and resolving at least 90 % of the tasks notified per second: a step that only keeps
 * its webhooks going by leaving the accept and resolve requests, and the events they publish,
 * for later is not sustained), and p99 must not explode.
 */
export function keptUp(
  offered: number,
  achieved: number,
  p99Ms: number,
  drained: boolean,
  partner?: { rate: number; backlog: number },
  p99LimitMs = 5000,
): { ok: boolean; why?: string; rateKept: boolean } {
  if (achieved < 0.9 * offered)
    return {
      ok: false,
      why: `achieved ${achieved.toFixed(0)}/s < 90 % of offered ${offered}/s`,
      rateKept: false,
    };
  if (!drained) return { ok: false, why: 'backlog did not drain after the step', rateKept: false };
  if (partner && partner.rate < 0.9 * achieved)
    return {
      ok: false,
      why: `partner work ${partner.rate.toFixed(0)}/s < 90 % of tasks notified ${achieved.toFixed(0)}/s (${partner.backlog} left)`,
      rateKept: false,
    };
  if (!(p99Ms <= p99LimitMs)) return { ok: false, why: `p99 ${p99Ms} ms > ${p99LimitMs} ms`, rateKept: true };
  return { ok: true, rateKept: true };
}

/**
 * The highest offered rate at which a pipeline met a latency target: climbing the steps in the
 * order they ran, each step that kept its rate with an e2e p99 within `p99LimitMs` raises it, and
 * the first step that did not ends the climb (a later step's luck does not count). 0 when the
 * first step missed.
 */
export function rateWithinP99(
  steps: { offered: number; rateKept: boolean; p99Ms: number }[],
  p99LimitMs: number,
): number {
  let rate = 0;
  for (const s of steps) {
    if (!s.rateKept || !(s.p99Ms <= p99LimitMs)) break;
    rate = Math.max(rate, s.offered);
  }
  return rate;
}
