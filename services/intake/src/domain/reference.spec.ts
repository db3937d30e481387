import { formatReference, isReference, localDay } from './reference';

describe('case references', () => {
  it('uses the Shanghai calendar day, not UTC', () => {
    // 2026-11-22 17:30 UTC is 2026-11-23 01:30 in Shanghai.
    expect(localDay(new Date('2026-11-22T17:30:00Z'))).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T15:59:59Z'))).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T16:00:00Z'))).toBe('2026-11-24');
  });

  it('formats prefix, day and a zero-padded sequence', () => {
    expect(formatReference('WL', '2026-11-23', 123)).toBe('WL-20261123-000123');
    expect(formatReference('WL', '2026-11-23', 1234567)).toBe('WL-20261123-1234567');
    expect(() => formatReference('WL', '2026-11-23', 0)).toThrow(RangeError);
  });

  it('recognises references', () => {
    expect(isReference('WL-20261123-000123')).toBe(true);
    expect(isReference('wl-20261123-000123')).toBe(false);
    expect(isReference('WL-2026112-000123')).toBe(false);
  });
});
