import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A resident's secret tracking token: 32 random bytes, base64url. Only its sha256 is stored. */
export function newTrackingToken(): string {
  return randomBytes(32).toString('base64url');
}

export function hashTrackingToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Constant-time check of a presented token against stored hashes (any of them may match). */
export function tokenMatchesAny(presented: string | undefined, storedHashes: Buffer[]): boolean {
  // Hash even when nothing is stored or presented, so timing does not tell whether a case exists.
  const h = hashTrackingToken(presented ?? '');
  let ok = false;
  for (const stored of storedHashes) {
    if (stored.length === h.length && timingSafeEqual(stored, h)) ok = true;
  }
  return ok && !!presented;
}
