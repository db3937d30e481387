import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { DomainError } from '@app/contracts';
import { NOTIFICATION_CONFIG } from '../notification.di-tokens';
import type { NotificationConfig } from '../notification.config';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The admin API takes a static bearer token (NOTIFICATION_ADMIN_TOKEN), compared in constant
 * time. A real center puts its SSO in front of this; the token keeps the API closed meanwhile.
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(@Inject(NOTIFICATION_CONFIG) config: NotificationConfig) {
    this.expected = digest(config.adminToken);
  }

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    const match = /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '');
    // Comparing digests keeps the comparison constant-time whatever the given length.
    if (!match || !timingSafeEqual(digest(match[1].trim()), this.expected)) {
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
