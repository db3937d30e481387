import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, createParamDecorator, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DomainError } from '@app/contracts';
import { RateLimiter } from '@app/platform';
import { DISPATCH_CONFIG, DispatchConfig } from '../dispatch.config';
import { UnitRow, UnitsRepository } from './units.repository';

export interface PartnerPrincipal {
  unitId: string;
  unitType: UnitRow['unitType'];
  name: string;
}

type PartnerRequest = Request & { partner?: PartnerPrincipal };

const FAILED_AUTH_MAX = 20;
const FAILED_AUTH_WINDOW_SECONDS = 60;

function presentedKey(req: Request): string | undefined {
  const header = req.header('x-api-key');
  if (header) return header.trim();
  const auth = req.header('authorization');
  const m = auth ? /^Bearer\s+(\S{8,512})$/.exec(auth.trim()) : null;
  return m?.[1];
}

/**
 * A partner unit authenticates with its own API key (`Authorization: Bearer <key>` or `X-Api-Key`).
 * The key is sha256-hashed and looked up by hash (keys are stored hashed only); the match is
 * confirmed with a constant-time compare. Inactive unit → 401. Failed attempts are limited per IP
 * (429 + Retry-After). Lookups are cached in memory for a few seconds at most.
 */
@Injectable()
export class PartnerAuthGuard implements CanActivate {
  private readonly cache = new Map<
    string,
    { unit: (UnitRow & { keyHash: string }) | undefined; until: number }
  >();

  constructor(
    private readonly units: UnitsRepository,
    private readonly limiter: RateLimiter,
    @Inject(DISPATCH_CONFIG) private readonly config: DispatchConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<PartnerRequest>();
    const key = presentedKey(req);
    const hash = key ? createHash('sha256').update(key).digest('hex') : undefined;
    const unit = hash ? await this.lookup(hash) : undefined;
    const matches =
      !!unit && !!hash && timingSafeEqual(Buffer.from(unit.keyHash, 'hex'), Buffer.from(hash, 'hex'));
    if (!matches || !unit) {
      const d = await this.limiter.hit(
        'partner-auth-failed',
        req.ip ?? 'unknown',
        FAILED_AUTH_MAX,
        FAILED_AUTH_WINDOW_SECONDS,
      );
      if (!d.allowed) {
        throw new DomainError(
          'PARTNER.TOO_MANY_ATTEMPTS',
          `Too many failed sign-ins; retry in ${d.retryAfterSeconds} s`,
          { retryAfterSeconds: d.retryAfterSeconds },
          429,
        );
      }
      throw new DomainError(
        'PARTNER.UNAUTHENTICATED',
        key
          ? 'This API key is not valid'
          : 'Send the unit API key as Authorization: Bearer <key> or X-Api-Key',
        undefined,
        401,
      );
    }
    if (!unit.active)
      throw new DomainError('PARTNER.UNIT_INACTIVE', `Unit ${unit.unitId} is not active`, undefined, 401);
    req.partner = { unitId: unit.unitId, unitType: unit.unitType, name: unit.name };
    return true;
  }

  private async lookup(hash: string): Promise<(UnitRow & { keyHash: string }) | undefined> {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.unit;
    const unit = await this.units.byKeyHash(hash);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { unit, until: now + this.config.unitCacheSeconds * 1000 });
    return unit;
  }
}

export const CurrentUnit = createParamDecorator((_data: unknown, ctx: ExecutionContext): PartnerPrincipal => {
  const partner = ctx.switchToHttp().getRequest<PartnerRequest>().partner;
  if (!partner)
    throw new DomainError('PARTNER.UNAUTHENTICATED', 'Partner authentication is required', undefined, 401);
  return partner;
});
