import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError, ValidationFailedError } from '@app/contracts';
import type { WorkContext } from '@app/observability';
import {
  bearerMatches,
  limitFailedTokenAttempts,
  RateLimiter,
  requestWork,
  tokenDigest,
} from '@app/platform';
import { ROUTING_CONFIG, RoutingConfig } from '../routing.config';

/**
 * Admin API: a static bearer token (ROUTING_ADMIN_TOKEN, compared in constant time; 401) and an
 * X-Actor header naming who makes the change (400 when missing), recorded in the history.
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    @Inject(ROUTING_CONFIG) config: RoutingConfig,
    private readonly limiter: RateLimiter,
  ) {
    this.expected = tokenDigest(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    if (!bearerMatches(req, this.expected)) {
      await limitFailedTokenAttempts(this.limiter, 'routing-admin-auth', req);
      throw new DomainError(
        'ROUTING.UNAUTHORIZED',
        'The admin API needs "Authorization: Bearer <ROUTING_ADMIN_TOKEN>"',
        undefined,
        401,
      );
    }
    const actor = actorOf(req);
    if (!actor) {
      throw new ValidationFailedError('The X-Actor header (who makes the change) is required', [
        { field: 'X-Actor', problems: ['is required: 1-200 characters naming who makes the change'] },
      ]);
    }
    return true;
  }
}

function actorOf(req: Request): string | undefined {
  const raw = req.headers['x-actor'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  return value && value.length <= 200 ? value : undefined;
}

/** Who changes reference data: the X-Actor of an admin request, and the request's work context. */
export interface AdminActor {
  name: string;
  work: WorkContext;
}

/** The X-Actor of an admin request (the guard has checked it), with the request's work context. */
export const Actor = createParamDecorator((_data: unknown, ctx: ExecutionContext): AdminActor => {
  const req = ctx.switchToHttp().getRequest<Request>();
  return { name: actorOf(req) ?? 'unknown', work: requestWork(req) };
});
