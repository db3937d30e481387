import {
  agingBucketOf,
  AGING_BUCKETS,
  checkPeriod,
  isOpenStatus,
  pointsOf,
  rate,
  statusWins,
} from './ops-model';

describe('ops model', () => {
  const at = (iso: string) => new Date(iso);

  it('lets a later event move the status, and never an earlier one', () => {
    const current = { status: 'accepted' as const, at: at('2026-11-23T10:00:00Z') };
    expect(statusWins({ status: 'routed', at: at('2026-11-23T09:59:00Z') }, current)).toBe(false);
    expect(statusWins({ status: 'resolved', at: at('2026-11-23T10:05:00Z') }, current)).toBe(true);
    // A reopen is a later event going "back" in the flow: it wins.
    expect(
      statusWins(
        { status: 'assigned', at: at('2026-11-23T11:00:00Z') },
        { status: 'resolved', at: current.at },
      ),
    ).toBe(true);
  });

  it('breaks a same-instant tie towards the status further along, and takes anything on an empty row', () => {
    const t = at('2026-11-23T10:00:00Z');
    expect(statusWins({ status: 'routed', at: t }, { status: 'assigned', at: t })).toBe(false);
    expect(statusWins({ status: 'assigned', at: t }, { status: 'routed', at: t })).toBe(true);
    expect(statusWins({ status: 'triage', at: t }, undefined)).toBe(true);
  });

  it('counts closed, cancelled and merged as not open', () => {
    expect(['closed', 'cancelled', 'merged'].map((s) => isOpenStatus(s as never))).toEqual([
      false,
      false,
      false,
    ]);
    expect(isOpenStatus('resolved')).toBe(true);
    expect(isOpenStatus('triage')).toBe(true);
  });

  it.each([
    [0, 'lt_1h'],
    [-30, 'lt_1h'],
    [3599, 'lt_1h'],
    [3600, '1h_4h'],
    [4 * 3600, '4h_24h'],
    [24 * 3600, '1d_3d'],
    [3 * 86400 + 1, '3d_7d'],
    [7 * 86400, 'gt_7d'],
    [400 * 86400, 'gt_7d'],
  ])('puts an age of %d s in bucket %s', (age, key) => {
    expect(agingBucketOf(age).key).toBe(key);
  });

  it('has contiguous aging buckets', () => {
    for (let i = 1; i < AGING_BUCKETS.length; i++)
      expect(AGING_BUCKETS[i].fromSeconds).toBe(AGING_BUCKETS[i - 1].toSeconds);
    expect(AGING_BUCKETS[AGING_BUCKETS.length - 1].toSeconds).toBeNull();
  });

  it('computes points (积分) and rates', () => {
    expect(pointsOf({ onTime: 10, breach: -5 }, 7, 3)).toBe(55);
    expect(pointsOf({ onTime: 2, breach: -1 }, 0, 4)).toBe(-4);
    expect(rate(2, 3)).toBe(0.6667);
    expect(rate(1, 0)).toBeNull();
  });

  it('refuses a period that is empty, reversed, invalid or too long, naming the field', () => {
    expect(checkPeriod(at('2026-11-01T00:00:00Z'), at('2026-12-01T00:00:00Z'))).toBeUndefined();
    expect(checkPeriod(at('x'), at('2026-12-01T00:00:00Z'))?.field).toBe('from');
    expect(checkPeriod(at('2026-12-01T00:00:00Z'), at('2026-11-01T00:00:00Z'))?.field).toBe('to');
    expect(checkPeriod(at('2020-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'))?.problem).toMatch(/at most/);
  });
});
