import { hashTrackingToken, newTrackingToken, tokenMatchesAny } from './tracking-token';

describe('tracking tokens', () => {
  it('are 32 random bytes in base64url', () => {
    const t = newTrackingToken();
    expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newTrackingToken()).not.toBe(t);
  });

  it('stay distinct across refills of the random pool', () => {
    const tokens = Array.from({ length: 300 }, () => newTrackingToken());
    expect(new Set(tokens).size).toBe(300);
    expect(tokens.every((t) => /^[A-Za-z0-9_-]{43}$/.test(t))).toBe(true);
  });

  it('match only their own hash', () => {
    const t = newTrackingToken();
    const other = hashTrackingToken(newTrackingToken());
    expect(tokenMatchesAny(t, [other, hashTrackingToken(t)])).toBe(true);
    expect(tokenMatchesAny(t, [other])).toBe(false);
    expect(tokenMatchesAny(undefined, [hashTrackingToken('')])).toBe(false);
    expect(tokenMatchesAny('', [hashTrackingToken('')])).toBe(false);
    expect(tokenMatchesAny(t, [])).toBe(false);
  });
});
