export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  maxAttempts: number;
}

/**
 * Delay before the next attempt after `attempt` failed ones: exponential (base · 2^(attempt-1)),
 * capped, with "equal jitter" (half fixed, half random) so a partner coming back up is not hit
 * by every retry at the same instant. `random` is injectable for tests.
 */
export function retryDelayMs(
  attempt: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>,
  random: () => number = Math.random,
): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export type AttemptVerdict = { next: 'delivered' } | { next: 'retry'; delayMs: number } | { next: 'dead' };

/** What happens to a delivery after an attempt. */
export function afterAttempt(
  outcome: { ok: boolean; retriable: boolean },
  attempts: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): AttemptVerdict {
  if (outcome.ok) return { next: 'delivered' };
  if (!outcome.retriable || attempts >= policy.maxAttempts) return { next: 'dead' };
  return { next: 'retry', delayMs: retryDelayMs(attempts, policy, random) };
}
