import { duplicateKey, findDuplicate, isOpenStatus, locationKey } from './duplicate';

describe('duplicate detection', () => {
  const at = new Date('2026-11-23T10:00:00Z');
  const cand = (
    over: Partial<{
      caseId: string;
      status: string;
      reportedAt: Date;
      categoryCode: string;
      locationKey: string;
    }>,
  ) => ({
    caseId: 'c1',
    status: 'assigned',
    reportedAt: new Date('2026-11-23T09:30:00Z'),
    categoryCode: 'drain_blocked',
    locationKey: 'b:B-01',
    ...over,
  });

  it('keys on building first, then grid', () => {
    expect(locationKey({ buildingCode: 'b-01', gridCode: 'G4' })).toBe('b:B-01');
    expect(locationKey({ gridCode: 'g4' })).toBe('g:G4');
    expect(locationKey({})).toBeUndefined();
    expect(duplicateKey(undefined, { buildingCode: 'B-01' })).toBeUndefined();
    expect(duplicateKey('drain_blocked', { buildingCode: 'B-01' })).toBe('drain_blocked|b:B-01');
  });

  it('treats closed, cancelled and merged as not open', () => {
    expect(['closed', 'cancelled', 'merged'].map(isOpenStatus)).toEqual([false, false, false]);
    expect(['reported', 'resolved', 'in_progress'].map(isOpenStatus)).toEqual([true, true, true]);
  });

  it('finds the earliest open case of the same category and place inside the window', () => {
    const r = { categoryCode: 'drain_blocked', location: { buildingCode: 'B-01' }, at };
    const earlier = cand({ caseId: 'first', reportedAt: new Date('2026-11-23T09:00:00Z') });
    expect(findDuplicate(r, [cand({}), earlier], 120)?.caseId).toBe('first');
    expect(findDuplicate(r, [cand({ status: 'closed' })], 120)).toBeUndefined();
    expect(findDuplicate(r, [cand({ categoryCode: 'noise' })], 120)).toBeUndefined();
    expect(findDuplicate(r, [cand({ locationKey: 'b:B-02' })], 120)).toBeUndefined();
    expect(findDuplicate(r, [cand({ reportedAt: new Date('2026-11-23T07:59:00Z') })], 120)).toBeUndefined();
    expect(findDuplicate({ ...r, categoryCode: undefined } as never, [cand({})], 120)).toBeUndefined();
  });
});
