import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

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
