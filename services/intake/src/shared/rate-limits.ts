import { Inject, Injectable } from '@nestjs/common';
import { RateLimiter } from '@app/platform';
import { INTAKE_CONFIG, IntakeConfig } from '../intake.config';
import { RateLimitedError } from './intake-errors';

/** Wrong Open311 api_keys tolerated per client address and minute (guessing keys is refused). */
export const FAILED_KEYS_PER_MINUTE = 20;

/** Intake's limits: per client (IP or Open311 key), per phone number, per uploader. */
@Injectable()
export class IntakeRateLimits {
  constructor(
    private readonly limiter: RateLimiter,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  async client(subject: string): Promise<void> {
    await this.check('client', subject, this.config.rateLimits.clientPerMinute, 60);
  }

  async phone(phone: string | undefined): Promise<void> {
    if (!phone) return;
    const digits = phone.replace(/\D/g, '');
    await this.check('phone', digits, this.config.rateLimits.phonePerHour, 3600);
  }

  async open311Key(clientId: string): Promise<void> {
    await this.check('open311_key', clientId, this.config.rateLimits.open311KeyPerMinute, 60);
  }

  /** Counts a failed Open311 api_key from a client address; 429 once there were too many. */
  async failedOpen311Key(subject: string): Promise<void> {
    await this.check('open311_failed_key', subject, FAILED_KEYS_PER_MINUTE, 60);
  }

  async upload(subject: string): Promise<void> {
    await this.check('upload', subject, this.config.rateLimits.uploadsPerMinute, 60);
  }

  private async check(limit: string, subject: string, max: number, windowSeconds: number): Promise<void> {
    const d = await this.limiter.hit(limit, subject, max, windowSeconds);
    if (!d.allowed) throw new RateLimitedError(limit, d.retryAfterSeconds);
  }
}
