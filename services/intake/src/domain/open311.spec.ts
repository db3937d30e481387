import { commaList, requestWindow, statusesFor, statusNotes, toOpen311Status, w3cDatetime } from './open311';

describe('Open311 mapping', () => {
  it('maps richer states to open/closed', () => {
    expect(toOpen311Status('in_progress')).toBe('open');
    expect(toOpen311Status('resolved')).toBe('open');
    expect(toOpen311Status('closed')).toBe('closed');
    expect(toOpen311Status('merged')).toBe('closed');
    expect(statusesFor(['closed']).sort()).toEqual(['cancelled', 'closed', 'merged']);
    expect(statusNotes('merged', undefined, 'WL-20261123-000001')).toContain('see WL-20261123-000001');
  });

  it('defaults to the last 90 days and refuses wider windows', () => {
    const now = new Date('2026-11-23T00:00:00Z');
    const w = requestWindow({ now });
    expect('from' in w && w.from.toISOString()).toBe('2026-08-25T00:00:00.000Z');
    expect(
      requestWindow({ now, startDate: new Date('2026-01-01Z'), endDate: new Date('2026-06-01Z') }),
    ).toMatchObject({ field: 'end_date' });
    expect(
      requestWindow({ now, startDate: new Date('2026-02-01Z'), endDate: new Date('2026-01-01Z') }),
    ).toMatchObject({ field: 'end_date' });
    expect(
      requestWindow({ now, startDate: new Date('2026-01-01Z'), endDate: new Date('2026-03-01Z') }),
    ).toMatchObject({ from: new Date('2026-01-01Z') });
  });

  it('formats W3C datetimes with an offset and splits comma lists', () => {
    expect(w3cDatetime(new Date('2026-11-23T02:00:00Z'))).toBe('2026-11-23T10:00:00+08:00');
    expect(commaList(' a, b,,c ')).toEqual(['a', 'b', 'c']);
  });
});
