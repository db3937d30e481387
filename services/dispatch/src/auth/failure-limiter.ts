import type Redis from 'ioredis';
import { JsonLogger } from '@app/observability';

/**
 * Counts failures per subject in a fixed window and tells whether a subject is blocked BEFORE
 * the attempt is checked (so a correct guess after the limit is refused too). Fails open when
 * Redis is unavailable, like the platform RateLimiter.
 */
export class FailureLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly logger: JsonLogger,
    private readonly name: string,
    private readonly max: number,
    private readonly windowSeconds: number,
  ) {}

  private key(subject: string): string {
    return `fail:${this.name}:${subject}`;
  }

  /** Seconds to wait when the subject is blocked, otherwise 0. */
  async blockedFor(subject: string): Promise<number> {
    try {
      const [count, ttl] = await Promise.all([
        this.redis.get(this.key(subject)),
        this.redis.ttl(this.key(subject)),
      ]);
      return Number(count ?? 0) >= this.max ? Math.max(1, ttl) : 0;
    } catch (err) {
      this.logger.warn(`failure limiter ${this.name} unavailable (Redis): failing open`, {
        error: (err as Error).message,
      });
      return 0;
    }
  }

  async recordFailure(subject: string): Promise<void> {
    try {
      const key = this.key(subject);
      await this.redis.multi().set(key, '0', 'EX', this.windowSeconds, 'NX').incr(key).exec();
    } catch (err) {
      this.logger.warn(`failure limiter ${this.name} unavailable (Redis)`, { error: (err as Error).message });
    }
  }

  async reset(subject: string): Promise<void> {
    await this.redis.del(this.key(subject)).catch(() => undefined);
  }
}
