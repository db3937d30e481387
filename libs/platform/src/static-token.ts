import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { DomainError } from '@app/contracts';
import type { RateLimiter } from './rate-limit';

/** sha256 of a secret: what is stored and compared, never the secret itself. */
export const tokenDigest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function presentedBearer(req: Request): string | undefined {
  const token = /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '')?.[1]?.trim();
  return token || undefined;
}

/**
 * Whether the request carries the expected static bearer token. Digests are compared, so the
 * comparison takes the same time whatever the presented token's length or content.
 */
export function bearerMatches(req: Request, expectedDigest: Buffer): boolean {
  const token = presentedBearer(req);
  return !!token && timingSafeEqual(tokenDigest(token), expectedDigest);
}

/**
 * Counts a failed static-token attempt per client address; throws 429 (with Retry-After) once an
 * address has failed too often, else returns so the caller answers 401. A client with the right
 * token is never slowed down.
 */
export async function limitFailedTokenAttempts(
  limiter: RateLimiter,
  limit: string,
  req: Request,
  max = Number(process.env.ADMIN_AUTH_FAILURES_PER_MINUTE ?? '20'),
): Promise<void> {
  const d = await limiter.hit(limit, req.ip ?? 'unknown', max, 60);
  if (!d.allowed) {
    throw new DomainError(
      'AUTH.TOO_MANY_ATTEMPTS',
      `Too many failed sign-ins from this address; retry in ${d.retryAfterSeconds} s`,
      { retryAfterSeconds: d.retryAfterSeconds },
      429,
    );
  }
}
