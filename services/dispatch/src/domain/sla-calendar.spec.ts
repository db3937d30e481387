import { DomainError } from '@app/contracts';
import fc from 'fast-check';
import {
  addBusinessSeconds,
  assertValidCalendar,
  businessSecondsBetween,
  isBusinessTime,
  localDateTime,
  SlaCalendar,
  TWENTY_FOUR_SEVEN,
} from './sla-calendar';

const H = 3600;
/** A wall-clock time in Asia/Shanghai (UTC+8, no DST) as the UTC instant it is. */
const sh = (local: string): Date => new Date(`${local.replace(' ', 'T')}:00+08:00`);
const utc = (iso: string): Date => new Date(iso);

/** Mon–Fri 09:00–18:00 Shanghai; example National Day week 2026-10-01…07 with adjusted Sunday 09-27 and Saturday 10-10. */
const CN: SlaCalendar = {
  kind: 'working',
  holidays: [
    '2026-10-01',
    '2026-10-02',
    '2026-10-03',
    '2026-10-04',
    '2026-10-05',
    '2026-10-06',
    '2026-10-07',
  ],
  workdays: ['2026-09-27', '2026-10-10'],
};
const NY: SlaCalendar = { kind: 'working', timezone: 'America/New_York', dayStart: '09:00', dayEnd: '17:00' };
const allDays = (timezone: string): SlaCalendar => ({
  kind: 'working',
  timezone,
  weekdays: [1, 2, 3, 4, 5, 6, 7],
  dayStart: '00:00',
  dayEnd: '24:00',
});

describe('24x7 calendar', () => {
  it('counts elapsed time', () => {
    const a = utc('2026-11-21T22:00:00Z');
    expect(addBusinessSeconds(a, 5 * H, TWENTY_FOUR_SEVEN)).toEqual(utc('2026-11-22T03:00:00Z'));
    expect(businessSecondsBetween(a, utc('2026-11-23T22:00:00Z'), TWENTY_FOUR_SEVEN)).toBe(48 * H);
  });
  it('ignores the time zone and the working-hour fields', () => {
    const cal: SlaCalendar = {
      kind: '24x7',
      timezone: 'America/New_York',
      dayStart: '09:00',
      holidays: ['2026-03-08'],
    };
    expect(addBusinessSeconds(utc('2026-03-08T05:00:00Z'), 24 * H, cal)).toEqual(utc('2026-03-09T05:00:00Z'));
  });
});

describe('working calendar in Asia/Shanghai (defaults: Mon–Fri 09:00–18:00)', () => {
  it.each([
    ['within a day', '2026-11-23 10:00', 2 * H, '2026-11-23 12:00'],
    ['ending exactly at the close', '2026-11-23 16:00', 2 * H, '2026-11-23 18:00'],
    ['carrying into the next morning', '2026-11-23 17:00', 2 * H, '2026-11-24 10:00'],
    ['over the weekend', '2026-11-27 17:00', 2 * H, '2026-11-30 10:00'],
    ['starting before opening', '2026-11-23 07:00', 1 * H, '2026-11-23 10:00'],
    ['starting after closing', '2026-11-23 20:00', 1 * H, '2026-11-24 10:00'],
    ['starting on a Saturday', '2026-11-28 10:00', 1 * H, '2026-11-30 10:00'],
    ['starting exactly at closing', '2026-11-23 18:00', 30 * 60, '2026-11-24 09:30'],
    ['several working days', '2026-11-23 09:00', 3 * 9 * H, '2026-11-25 18:00'],
    ['a minute past several days', '2026-11-23 09:00', 3 * 9 * H + 60, '2026-11-26 09:01'],
    ['before National Day into the day after it', '2026-09-30 17:00', 2 * H, '2026-10-08 10:00'],
    ['into the adjusted working Saturday', '2026-10-09 17:00', 2 * H, '2026-10-10 10:00'],
    ['from a Saturday to the adjusted working Sunday', '2026-09-26 12:00', 1 * H, '2026-09-27 10:00'],
  ])('adds business time %s', (_name, start, seconds, expected) => {
    expect(addBusinessSeconds(sh(start), seconds, CN)).toEqual(sh(expected));
    expect(businessSecondsBetween(sh(start), sh(expected), CN)).toBe(seconds);
  });

  it('returns the start itself for zero seconds, even off hours', () => {
    expect(addBusinessSeconds(sh('2026-11-28 10:00'), 0, CN)).toEqual(sh('2026-11-28 10:00'));
  });

  it('counts business seconds between two instants across the holiday', () => {
    // 09-30 (9h) + 10-08 (9h) + 10-09 (9h); 10-01…07 off
    expect(businessSecondsBetween(sh('2026-09-30 09:00'), sh('2026-10-09 18:00'), CN)).toBe(27 * H);
    expect(businessSecondsBetween(sh('2026-10-02 09:00'), sh('2026-10-05 18:00'), CN)).toBe(0);
    expect(businessSecondsBetween(sh('2026-10-09 18:00'), sh('2026-09-30 09:00'), CN)).toBe(-27 * H);
    expect(businessSecondsBetween(sh('2026-11-23 12:00'), sh('2026-11-23 12:00'), CN)).toBe(0);
  });

  it('decides the local day in the zone, not in UTC', () => {
    // Sunday 20:00 UTC is Monday 04:00 in Shanghai: the clock starts Monday 09:00 local (01:00Z).
    const sundayUtc = utc('2026-11-22T20:00:00Z');
    expect(addBusinessSeconds(sundayUtc, H, CN)).toEqual(utc('2026-11-23T02:00:00Z'));
    // Friday 23:00 UTC is Saturday 07:00 local: nothing until Monday.
    expect(addBusinessSeconds(utc('2026-11-27T23:00:00Z'), H, CN)).toEqual(utc('2026-11-30T02:00:00Z'));
    expect(localDateTime(utc('2026-11-30T02:00:00Z'))).toBe('2026-11-30 10:00:00');
  });

  it('keeps sub-second precision of the start', () => {
    const start = new Date(sh('2026-11-23 10:00').getTime() + 250);
    expect(addBusinessSeconds(start, 60, CN).getTime()).toBe(sh('2026-11-23 10:01').getTime() + 250);
  });

  it('treats a date listed both as holiday and as workday as a holiday', () => {
    const cal: SlaCalendar = { kind: 'working', holidays: ['2026-10-10'], workdays: ['2026-10-10'] };
    expect(addBusinessSeconds(sh('2026-10-09 17:00'), 2 * H, cal)).toEqual(sh('2026-10-12 10:00'));
  });

  it('supports other week shapes and a window to midnight', () => {
    const sixDays: SlaCalendar = {
      kind: 'working',
      weekdays: [1, 2, 3, 4, 5, 6],
      dayStart: '08:30',
      dayEnd: '24:00',
    };
    expect(addBusinessSeconds(sh('2026-11-28 23:00'), 2 * H, sixDays)).toEqual(sh('2026-11-30 09:30'));
    expect(businessSecondsBetween(sh('2026-11-28 00:00'), sh('2026-11-30 00:00'), sixDays)).toBe(15.5 * H);
  });

  it('tells whether an instant is business time', () => {
    expect(isBusinessTime(sh('2026-11-23 09:00'), CN)).toBe(true);
    expect(isBusinessTime(sh('2026-11-23 17:59'), CN)).toBe(true);
    expect(isBusinessTime(sh('2026-11-23 18:00'), CN)).toBe(false);
    expect(isBusinessTime(sh('2026-10-01 10:00'), CN)).toBe(false);
    expect(isBusinessTime(sh('2026-10-10 10:00'), CN)).toBe(true);
    expect(isBusinessTime(sh('2026-11-28 10:00'), TWENTY_FOUR_SEVEN)).toBe(true);
  });
});

describe('working calendar in a zone with daylight saving (America/New_York)', () => {
  it('finds 09:00 local on both sides of the spring-forward change', () => {
    // Fri 2026-03-06 16:00 EST (21:00Z) + 2h → Mon 2026-03-09 10:00 EDT (14:00Z), not 15:00Z
    expect(addBusinessSeconds(utc('2026-03-06T21:00:00Z'), 2 * H, NY)).toEqual(utc('2026-03-09T14:00:00Z'));
  });
  it('finds 09:00 local on both sides of the fall-back change', () => {
    // Fri 2026-10-30 16:00 EDT (20:00Z) + 2h → Mon 2026-11-02 10:00 EST (15:00Z)
    expect(addBusinessSeconds(utc('2026-10-30T20:00:00Z'), 2 * H, NY)).toEqual(utc('2026-11-02T15:00:00Z'));
  });
  it('counts a 23-hour and a 25-hour local day', () => {
    const cal = allDays('America/New_York');
    expect(businessSecondsBetween(utc('2026-03-08T05:00:00Z'), utc('2026-03-09T04:00:00Z'), cal)).toBe(
      23 * H,
    );
    expect(businessSecondsBetween(utc('2026-11-01T04:00:00Z'), utc('2026-11-02T05:00:00Z'), cal)).toBe(
      25 * H,
    );
    expect(localDateTime(utc('2026-03-09T04:00:00Z'), 'America/New_York')).toBe('2026-03-09 00:00:00');
  });
  it('starts the window after the gap when dayStart does not exist that day', () => {
    const cal: SlaCalendar = { ...allDays('America/New_York'), dayStart: '02:30', dayEnd: '05:00' };
    // 2026-03-08 02:30 does not exist (02:00 → 03:00 EDT): the window opens at 03:30 EDT (07:30Z)
    expect(addBusinessSeconds(utc('2026-03-08T06:00:00Z'), 60, cal)).toEqual(utc('2026-03-08T07:31:00Z'));
  });
});

describe('invalid calendars and arguments', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return e instanceof DomainError ? `${e.code}/${e.status}` : 'not a DomainError';
    }
    return undefined;
  };
  it.each<[string, SlaCalendar]>([
    ['unknown zone', { kind: 'working', timezone: 'Mars/Olympus' }],
    ['start after end', { kind: 'working', dayStart: '18:00', dayEnd: '09:00' }],
    ['start equal to end', { kind: 'working', dayStart: '09:00', dayEnd: '09:00' }],
    ['hour out of range', { kind: 'working', dayEnd: '25:00' }],
    ['minute out of range', { kind: 'working', dayStart: '09:60' }],
    ['weekday out of range', { kind: 'working', weekdays: [0, 1] }],
  ])('refuses %s with SLA.INVALID_CALENDAR (400)', (_name, cal) => {
    expect(code(() => assertValidCalendar(cal))).toBe('SLA.INVALID_CALENDAR/400');
  });
  it('refuses a calendar without any working day when asked to add time', () => {
    expect(code(() => addBusinessSeconds(sh('2026-11-23 10:00'), 1, { kind: 'working', weekdays: [] }))).toBe(
      'SLA.INVALID_CALENDAR/400',
    );
  });
  it('refuses negative durations and invalid dates', () => {
    expect(() => addBusinessSeconds(sh('2026-11-23 10:00'), -1, CN)).toThrow(RangeError);
    expect(() => addBusinessSeconds(new Date(NaN), 1, CN)).toThrow(RangeError);
    expect(() => businessSecondsBetween(new Date(NaN), sh('2026-11-23 10:00'), CN)).toThrow(RangeError);
  });
});

/** Instants over two years: both DST changes of each year in the zones that have them. */
const instant = fc
  .integer({ min: Date.UTC(2026, 0, 1) / 1000, max: Date.UTC(2027, 11, 31) / 1000 })
  .map((s) => new Date(s * 1000));

describe('properties', () => {
  const duration = fc.integer({ min: 0, max: 30 * 24 * H });
  const calendars = fc.constantFrom<SlaCalendar>(CN, NY, TWENTY_FOUR_SEVEN, allDays('America/New_York'));

  it('businessSecondsBetween(a, addBusinessSeconds(a, s)) === s', () => {
    fc.assert(
      fc.property(calendars, instant, duration, (cal, a, s) => {
        expect(businessSecondsBetween(a, addBusinessSeconds(a, s, cal), cal)).toBe(s);
      }),
    );
  });

  it('adding more business time never ends earlier, and never before the start', () => {
    fc.assert(
      fc.property(calendars, instant, duration, duration, (cal, a, s1, s2) => {
        const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
        const t1 = addBusinessSeconds(a, lo, cal);
        expect(t1.getTime()).toBeGreaterThanOrEqual(a.getTime());
        expect(addBusinessSeconds(a, hi, cal).getTime()).toBeGreaterThanOrEqual(t1.getTime());
      }),
    );
  });

  it('is additive over consecutive intervals and bounded by elapsed time', () => {
    fc.assert(
      fc.property(calendars, instant, instant, instant, (cal, x, y, z) => {
        const [a, b, c] = [x, y, z].sort((p, q) => p.getTime() - q.getTime());
        const ab = businessSecondsBetween(a, b, cal);
        expect(ab + businessSecondsBetween(b, c, cal)).toBe(businessSecondsBetween(a, c, cal));
        expect(ab).toBeLessThanOrEqual((b.getTime() - a.getTime()) / 1000);
        expect(ab).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('an all-day calendar equals 24x7 in any zone, DST included', () => {
    fc.assert(
      fc.property(
        // Lord Howe shifts by half an hour for DST, Kathmandu is UTC+5:45.
        fc.constantFrom(
          'America/New_York',
          'Asia/Shanghai',
          'Europe/Berlin',
          'Australia/Lord_Howe',
          'Asia/Kathmandu',
        ),
        instant,
        duration,
        (zone, a, s) => {
          expect(addBusinessSeconds(a, s, allDays(zone))).toEqual(
            addBusinessSeconds(a, s, TWENTY_FOUR_SEVEN),
          );
        },
      ),
    );
  });
});

describe('local day of an instant', () => {
  it('is the date of its local wall clock in any zone, DST included', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(
          'America/New_York',
          'Europe/London',
          'Australia/Lord_Howe',
          'Asia/Kathmandu',
          'Pacific/Chatham',
        ),
        instant,
        (zone, at) => {
          // Open from local midnight to noon: business time exactly when the local hour is < 12,
          // which holds only if the instant's window is taken from the right local day.
          const cal: SlaCalendar = { ...allDays(zone), dayStart: '00:00', dayEnd: '12:00' };
          const hour = Number(localDateTime(at, zone).slice(11, 13));
          expect(isBusinessTime(at, cal)).toBe(hour < 12);
        },
      ),
    );
  });
});
