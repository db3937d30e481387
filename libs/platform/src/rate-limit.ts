import type Redis from 'ioredis';
import { counter, JsonLogger } from '@app/observability';

export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterSeconds: number;
}

const limited = counter('rate_limited_total', 'Requests refused by a rate limit', ['limit']);
const degraded = counter(
  'rate_limit_degraded_total',
  'Rate-limit checks skipped because Redis was unavailable',
  ['limit'],
);

/**
 * Fixed-window counters in Redis. When Redis is unavailable the limiter fails OPEN (the request
 * is served, a metric counts it): refusing residents' reports because a cache is down would be
 * worse than briefly not limiting them. Documented in SECURITY.md.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly logger: JsonLogger,
  ) {}

  async hit(limit: string, subject: string, max: number, windowSeconds: number): Promise<RateDecision> {
    const window = Math.floor(Date.now() / 1000 / windowSeconds);
    const key = `rl:${limit}:${subject}:${window}`;
    try {
      const res = await this.redis
        .multi()
        .incr(key)
        .expire(key, windowSeconds + 1)
        .exec();
      const count = Number(res?.[0]?.[1] ?? 0);
      const retryAfterSeconds = (window + 1) * windowSeconds - Math.floor(Date.now() / 1000);
      if (count > max) {
        limited.inc({ limit });
        return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, retryAfterSeconds) };
      }
      return { allowed: true, remaining: max - count, retryAfterSeconds: 0 };
    } catch (err) {
      degraded.inc({ limit });
      this.logger.warn(`rate limit ${limit} unavailable (Redis): failing open`, {
        error: (err as Error).message,
      });
      return { allowed: true, remaining: max, retryAfterSeconds: 0 };
    }
  }
}
