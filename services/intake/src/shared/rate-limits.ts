import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { counter, JsonLogger } from '@app/observability';
import { LOGGER, REDIS } from '@app/platform';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { RateLimitedError } from './intake-errors';

/** Wrong Open311 api_keys tolerated per client address and minute (guessing keys is refused). */
export const FAILED_KEYS_PER_MINUTE = 20;

/** One fixed-window bucket of a request: `rl:<limit>:<subject>:<window>`, at most `max` hits. */
export interface RateBucket {
  limit: string;
  subject: string;
  max: number;
  windowSeconds: number;
}

/**
 * Counts the buckets in order, as separate checks would (INCR, then EXPIRE window + 1), and stops
 * at the first bucket over its maximum: a refused request does not count against the buckets after
 * it. Answers the 1-based index of that bucket, 0 when every bucket allowed the request.
 * KEYS: the bucket keys; ARGV: per bucket, its TTL then its maximum.
 */
const HIT_SCRIPT = `
for i = 1, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i - 1])
  if count > tonumber(ARGV[2 * i]) then return i end
end
return 0`;

/** The same metrics as the platform's RateLimiter (one registry entry per name). */
const limited = counter('rate_limited_total', 'Requests refused by a rate limit', ['limit']);
const degraded = counter(
  'rate_limit_degraded_total',
  'Rate-limit checks skipped because Redis was unavailable',
  ['limit'],
);

type ScriptedRedis = Redis & {
  intakeRateHit(...args: (string | number)[]): Promise<number>;
};

/**
 * Intake's limits: per client (IP or Open311 key), per phone number, per uploader. Fixed windows in
 * Redis with the keys and semantics of the platform's RateLimiter, but every bucket of a request
 * is counted by ONE script call (one round trip, one reply) instead of a MULTI/INCR/EXPIRE/EXEC per
 * bucket. Fails OPEN when Redis is unavailable (the request is served, a metric counts it), as the
 * platform limiter does (SECURITY.md).
 */
@Injectable()
export class IntakeRateLimits {
  private readonly redis: ScriptedRedis;

  constructor(
    @Inject(REDIS) redis: Redis,
    @Inject(LOGGER) private readonly logger: JsonLogger,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {
    // EVALSHA, loading the script once per connection when Redis answers NOSCRIPT (ioredis does it).
    if (!('intakeRateHit' in redis)) redis.defineCommand('intakeRateHit', { lua: HIT_SCRIPT });
    this.redis = redis as ScriptedRedis;
  }

  /** A report (POST /v1/reports): the client address, then the reporter's phone, in one round trip. */
  async report(clientSubject: string, phone: string | undefined): Promise<void> {
    const buckets = [this.clientBucket(clientSubject)];
    const p = this.phoneBucket(phone);
    if (p) buckets.push(p);
    await this.check(buckets);
  }

  /** An Open311 POST: the client's key, then the phone number, in one round trip. */
  async open311Report(clientId: string, phone: string | undefined): Promise<void> {
    const buckets = [this.open311KeyBucket(clientId)];
    const p = this.phoneBucket(phone);
    if (p) buckets.push(p);
    await this.check(buckets);
  }

  async client(subject: string): Promise<void> {
    await this.check([this.clientBucket(subject)]);
  }

  /** Counts a failed Open311 api_key from a client address; 429 once there were too many. */
  async failedOpen311Key(subject: string): Promise<void> {
    await this.check([
      { limit: 'open311_failed_key', subject, max: FAILED_KEYS_PER_MINUTE, windowSeconds: 60 },
    ]);
  }

  async upload(subject: string): Promise<void> {
    await this.check([
      { limit: 'upload', subject, max: this.config.rateLimits.uploadsPerMinute, windowSeconds: 60 },
    ]);
  }

  private clientBucket(subject: string): RateBucket {
    return { limit: 'client', subject, max: this.config.rateLimits.clientPerMinute, windowSeconds: 60 };
  }

  private phoneBucket(phone: string | undefined): RateBucket | undefined {
    if (!phone) return undefined;
    const digits = phone.replace(/\D/g, '');
    return { limit: 'phone', subject: digits, max: this.config.rateLimits.phonePerHour, windowSeconds: 3600 };
  }

  private open311KeyBucket(clientId: string): RateBucket {
    return {
      limit: 'open311_key',
      subject: clientId,
      max: this.config.rateLimits.open311KeyPerMinute,
      windowSeconds: 60,
    };
  }

  /** Counts the buckets; throws RateLimitedError for the first one over its maximum. */
  private async check(buckets: RateBucket[]): Promise<void> {
    const nowSeconds = Date.now() / 1000;
    const windows = buckets.map((b) => Math.floor(nowSeconds / b.windowSeconds));
    const args: (string | number)[] = [buckets.length];
    buckets.forEach((b, i) => args.push(`rl:${b.limit}:${b.subject}:${windows[i]}`));
    for (const b of buckets) args.push(b.windowSeconds + 1, b.max);
    let refused: number;
    try {
      refused = Number(await this.redis.intakeRateHit(...args));
    } catch (err) {
      for (const b of buckets) {
        degraded.inc({ limit: b.limit });
        this.logger.warn(`rate limit ${b.limit} unavailable (Redis): failing open`, {
          error: (err as Error).message,
        });
      }
      return;
    }
    if (refused < 1 || refused > buckets.length) return;
    const b = buckets[refused - 1];
    limited.inc({ limit: b.limit });
    const retryAfterSeconds = (windows[refused - 1] + 1) * b.windowSeconds - Math.floor(Date.now() / 1000);
    throw new RateLimitedError(b.limit, Math.max(1, retryAfterSeconds));
  }
}
