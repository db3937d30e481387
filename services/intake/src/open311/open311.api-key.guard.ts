import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { clientAddress } from '../shared/http-helpers';
import { IntakeRateLimits } from '../shared/rate-limits';
import { Open311ForbiddenError } from './open311.errors';
import { Open311ClientsService } from './open311-clients.service';

/** POST requests needs a valid api_key (form field, or query string); runs before validation. Failed keys are rate limited. */
@Injectable()
export class Open311ApiKeyGuard implements CanActivate {
  constructor(
    private readonly clients: Open311ClientsService,
    private readonly limits: IntakeRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request>();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const fromBody = typeof body.api_key === 'string' ? body.api_key : undefined;
    const fromQuery = typeof req.query.api_key === 'string' ? req.query.api_key : undefined;
    const clientId = await this.clients.verify(fromBody ?? fromQuery);
    if (!clientId) {
      // Failed keys are limited per client address (429 + Retry-After), so keys cannot be guessed.
      await this.limits.failedOpen311Key(clientAddress(req));
      throw new Open311ForbiddenError('Invalid or missing api_key: cannot create the service request');
    }
    context.switchToHttp().getResponse<Response>().locals.open311ClientId = clientId;
    return true;
  }
}
