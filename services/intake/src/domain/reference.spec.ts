import { formatReference, isReference, localDay } from './reference';

describe('case references', () => {
  it('uses the Shanghai calendar day, not UTC', () => {
    // 2026-11-22 17:30 UTC is 2026-11-23 01:30 in Shanghai.
    expect(localDay(new Date('2026-11-22T17:30:00Z'))).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T15:59:59Z'))).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T16:00:00Z'))).toBe('2026-11-24');
  });

  it('answers the same day for every instant of a minute, and the next day at midnight', () => {
    expect(localDay(new Date('2026-11-23T15:59:00.000Z'))).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T15:59:59.999Z'))).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T16:00:00.000Z'))).toBe('2026-11-24');
    expect(localDay(new Date('2026-11-23T15:59:30.000Z'))).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T15:59:30.000Z'), 'UTC')).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-23T23:59:59.999Z'), 'UTC')).toBe('2026-11-23');
    expect(localDay(new Date('2026-11-24T00:00:00.000Z'), 'UTC')).toBe('2026-11-24');
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
