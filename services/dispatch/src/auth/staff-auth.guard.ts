import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { DomainError } from '@app/contracts';
import { ROLES_KEY, StaffPrincipal, StaffRole } from './roles';
import { AUTH_ERRORS, StaffAuthService, unauthenticated } from './staff-auth.service';

export const STAFF_COOKIE = 'center_token';

type StaffRequest = Request & { staff?: StaffPrincipal };

/** The token from `Authorization: Bearer …` or, for the web page, the HttpOnly `center_token` cookie. */
export function staffTokenOf(req: Request): string | undefined {
  const auth = req.header('authorization');
  if (auth) {
    const m = /^Bearer\s+([A-Za-z0-9_-]{20,200})$/.exec(auth.trim());
    return m?.[1];
  }
  const cookie = req.header('cookie');
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const idx = part.indexOf('=');
    if (idx > 0 && part.slice(0, idx).trim() === STAFF_COOKIE) {
      const v = decodeURIComponent(part.slice(idx + 1).trim());
      return /^[A-Za-z0-9_-]{20,200}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

/** 401 without a valid token; 403 when the route's `@Roles(...)` does not include the staff member's. */
@Injectable()
export class StaffAuthGuard implements CanActivate {
  constructor(
    private readonly auth: StaffAuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<StaffRequest>();
    const token = staffTokenOf(req);
    if (!token) throw unauthenticated();
    const staff = await this.auth.authenticate(token);
    if (!staff) throw unauthenticated('The token is unknown or expired; sign in again');
    const required = this.reflector.getAllAndOverride<StaffRole[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required?.length && !staff.roles.some((r) => required.includes(r))) {
      throw new DomainError(
        AUTH_ERRORS.Forbidden,
        `This needs one of the roles: ${required.join(', ')}`,
        { required, roles: staff.roles },
        403,
      );
    }
    req.staff = staff;
    return true;
  }
}

/** The signed-in staff member (use under StaffAuthGuard). */
export const CurrentStaff = createParamDecorator((_data: unknown, ctx: ExecutionContext): StaffPrincipal => {
  const staff = ctx.switchToHttp().getRequest<StaffRequest>().staff;
  if (!staff) throw unauthenticated();
  return staff;
});
