import { createHash, randomFillSync, timingSafeEqual } from 'node:crypto';

const TOKEN_BYTES = 32;
/**
 * Random bytes for 64 tokens, drawn from the CSPRNG at once (one getrandom call instead of one per
 * report, as crypto.randomUUID caches its entropy); each token's bytes are zeroed once taken.
 */
const pool = Buffer.alloc(TOKEN_BYTES * 64);
let poolOffset = pool.length;

/** A resident's secret tracking token: 32 random bytes, base64url. Only its sha256 is stored. */
export function newTrackingToken(): string {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + TOKEN_BYTES);
  poolOffset += TOKEN_BYTES;
  const token = bytes.toString('base64url');
  bytes.fill(0);
  return token;
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
