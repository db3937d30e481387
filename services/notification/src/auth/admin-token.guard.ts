import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@app/contracts';
import { bearerMatches, limitFailedTokenAttempts, RateLimiter, tokenDigest } from '@app/platform';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';

/**
 * The admin API takes a static bearer token (NOTIFICATION_ADMIN_TOKEN), compared in constant
 * time. A real center puts its SSO in front of this; the token keeps the API closed meanwhile.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    @Inject(NOTIFICATION_CONFIG) config: NotificationConfig,
    private readonly limiter: RateLimiter,
  ) {
    this.expected = tokenDigest(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (!bearerMatches(req, this.expected)) {
      await limitFailedTokenAttempts(this.limiter, 'notification-admin-auth', req);
      throw new DomainError(
        'NOTIFICATION.UNAUTHORIZED',
        'A valid admin token is required: Authorization: Bearer <token>',
        undefined,
        401,
      );
    }
    return true;
  }
}
