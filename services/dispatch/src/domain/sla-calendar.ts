/**
 * Business-time arithmetic for SLA policies.
 *
 * Instants are UTC (`Date`); which local day an instant falls on, and where that day's working
 * window starts and ends, is decided in the calendar's IANA zone with `Intl.DateTimeFormat`, so
 * a zone with daylight saving (America/New_York) is handled as well as Asia/Shanghai.
 *
 * A `working` calendar has one window per working day, `[dayStart, dayEnd)` local time
 * (`dayEnd` may be `24:00`). A local date is a working day when it is listed in `workdays`
 * (调休, an adjusted working weekend day), or when its ISO weekday is in `weekdays` and it is not
 * listed in `holidays`. A date listed both as holiday and as workday is a holiday.
 */
import { DomainError, type SlaCalendarDto } from '@app/contracts';

export type SlaCalendar = SlaCalendarDto;

export const DEFAULT_TIMEZONE = 'Asia/Shanghai';
export const DEFAULT_WEEKDAYS: readonly number[] = [1, 2, 3, 4, 5];
export const DEFAULT_DAY_START = '09:00';
export const DEFAULT_DAY_END = '18:00';
export const TWENTY_FOUR_SEVEN: SlaCalendar = { kind: '24x7' };

export const SLA_INVALID_CALENDAR = 'SLA.INVALID_CALENDAR';

const DAY_MS = 86_400_000;
/** A working calendar with no working day within this many days is refused (it would never end). */
const MAX_IDLE_DAYS = 400;

interface WorkingCalendar {
  timezone: string;
  weekdays: ReadonlySet<number>;
  startMinute: number;
  endMinute: number;
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

const resolved = new WeakMap<SlaCalendar, WorkingCalendar | null>();

const invalidCalendar = (message: string, details: Record<string, unknown>): DomainError =>
  new DomainError(SLA_INVALID_CALENDAR, message, details, 400);

function minuteOfDay(hhmm: string, field: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  if (!m || Number(m[2]) > 59 || minutes > 24 * 60) {
    throw invalidCalendar(`${field} must be a local time HH:mm between 00:00 and 24:00`, { [field]: hhmm });
  }
  return minutes;
}

/** Validates a calendar and fills in the defaults; `null` for 24x7. Cached per calendar object. */
function working(calendar: SlaCalendar): WorkingCalendar | null {
  const hit = resolved.get(calendar);
  if (hit !== undefined) return hit;
  let result: WorkingCalendar | null = null;
  if (calendar.kind === 'working') {
    const timezone = calendar.timezone ?? DEFAULT_TIMEZONE;
    try {
      formatter(timezone);
    } catch {
      throw invalidCalendar(`Unknown time zone "${timezone}"`, { timezone });
    }
    const startMinute = minuteOfDay(calendar.dayStart ?? DEFAULT_DAY_START, 'dayStart');
    const endMinute = minuteOfDay(calendar.dayEnd ?? DEFAULT_DAY_END, 'dayEnd');
    if (startMinute >= endMinute) {
      throw invalidCalendar('dayStart must be before dayEnd (overnight windows are not supported)', {
        dayStart: calendar.dayStart,
        dayEnd: calendar.dayEnd,
      });
    }
    const weekdays = calendar.weekdays ?? DEFAULT_WEEKDAYS;
    if (weekdays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
      throw invalidCalendar('weekdays are ISO weekdays 1 (Monday) to 7 (Sunday)', { weekdays });
    }
    result = {
      timezone,
      weekdays: new Set(weekdays),
      startMinute,
      endMinute,
      holidays: new Set(calendar.holidays ?? []),
      workdays: new Set(calendar.workdays ?? []),
    };
  }
  resolved.set(calendar, result);
  return result;
}

// ---------------------------------------------------------------- zone arithmetic

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timezone, f);
  }
  return f;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(ms: number, timezone: string): LocalParts {
  const p: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timezone).formatToParts(ms)) {
    if (part.type in p) p[part.type as keyof LocalParts] = Number(part.value);
  }
  return p;
}

const QUARTER_HOUR_MS = 15 * 60_000;
const offsets = new Map<string, number>();

/**
 * Offset of the zone at an instant, in ms (local wall clock minus UTC). Zone offsets change only
 * on quarter-hour boundaries, so the answer is remembered per zone and quarter hour: the SLA
 * clock asks this many times per deadline, and formatToParts is the costly part.
 */
function offsetAt(ms: number, timezone: string): number {
  const bucket = Math.floor(ms / QUARTER_HOUR_MS);
  const key = `${timezone}|${bucket}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    const start = bucket * QUARTER_HOUR_MS;
    const p = localParts(start, timezone);
    offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - start;
    if (offsets.size > 50_000) offsets.clear();
    offsets.set(key, offset);
  }
  return offset;
}

/** The UTC instant of a local wall-clock time (`minute` may be 1440: the next day's midnight). */
function localToUtc(dayNumber: number, minute: number, timezone: string): number {
  const wall = dayNumber * DAY_MS + minute * 60_000;
  const before = offsetAt(wall, timezone);
  const utc = wall - before;
  const after = offsetAt(utc, timezone);
  if (after === before) return utc;
  // Across a DST change: take the offset that holds at the result; in a gap (a wall time that does
  // not exist) keep the first guess, which lies just after the gap.
  const alt = wall - after;
  return offsetAt(alt, timezone) === after ? alt : utc;
}

/** Days since 1970-01-01 of the local date an instant falls on. */
function localDayNumber(ms: number, timezone: string): number {
  // The local wall clock is the instant plus the zone's offset (remembered per quarter hour).
  return Math.floor((ms + offsetAt(ms, timezone)) / DAY_MS);
}

const isoDate = (dayNumber: number): string => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
const isoWeekday = (dayNumber: number): number => ((new Date(dayNumber * DAY_MS).getUTCDay() + 6) % 7) + 1;

function isWorkingDay(dayNumber: number, cal: WorkingCalendar): boolean {
  const date = isoDate(dayNumber);
  if (cal.holidays.has(date)) return false;
  return cal.workdays.has(date) || cal.weekdays.has(isoWeekday(dayNumber));
}

/** The working window of a local day as UTC ms, or null on a day off. */
function windowOf(dayNumber: number, cal: WorkingCalendar): { start: number; end: number } | null {
  if (!isWorkingDay(dayNumber, cal)) return null;
  return {
    start: localToUtc(dayNumber, cal.startMinute, cal.timezone),
    end: localToUtc(dayNumber, cal.endMinute, cal.timezone),
  };
}

// ---------------------------------------------------------------- public arithmetic

function checkDate(d: Date, name: string): number {
  const ms = d.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid date`);
  return ms;
}

/**
 * The instant at which `ms` milliseconds of business time have elapsed after `start`.
 * Zero returns `start` itself; otherwise time outside working windows does not count, and a
 * duration that ends exactly at the close of a window ends there (18:00), not at the next opening.
 */
export function addBusinessMs(start: Date, ms: number, calendar: SlaCalendar): Date {
  const from = checkDate(start, 'start');
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`duration must be a finite number >= 0, got ${ms}`);
  const cal = working(calendar);
  if (!cal || ms === 0) return new Date(from + ms);
  let remaining = ms;
  let idle = 0;
  for (let day = localDayNumber(from, cal.timezone); ; day++) {
    const w = windowOf(day, cal);
    if (!w) {
      if (++idle > MAX_IDLE_DAYS) throw invalidCalendar('The calendar has no working day', { calendar });
      continue;
    }
    idle = 0;
    const begin = Math.max(from, w.start);
    if (begin >= w.end) continue;
    const available = w.end - begin;
    if (remaining <= available) return new Date(begin + remaining);
    remaining -= available;
  }
}

/** Business milliseconds in `[a, b)`; negative when `b` is before `a`. */
export function businessMsBetween(a: Date, b: Date, calendar: SlaCalendar): number {
  const from = checkDate(a, 'a');
  const to = checkDate(b, 'b');
  if (to < from) return -businessMsBetween(b, a, calendar);
  const cal = working(calendar);
  if (!cal) return to - from;
  let total = 0;
  const lastDay = localDayNumber(to, cal.timezone);
  for (let day = localDayNumber(from, cal.timezone); day <= lastDay; day++) {
    const w = windowOf(day, cal);
    if (!w) continue;
    const overlap = Math.min(to, w.end) - Math.max(from, w.start);
    if (overlap > 0) total += overlap;
  }
  return total;
}

/** `addBusinessMs` in seconds (fractions are rounded to the millisecond). */
export function addBusinessSeconds(start: Date, seconds: number, calendar: SlaCalendar): Date {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`seconds must be a finite number >= 0, got ${seconds}`);
  }
  return addBusinessMs(start, Math.round(seconds * 1000), calendar);
}

/** Business seconds in `[a, b)`; negative when `b` is before `a`. */
export function businessSecondsBetween(a: Date, b: Date, calendar: SlaCalendar): number {
  return businessMsBetween(a, b, calendar) / 1000;
}

/** Whether an instant lies inside a working window (always true for 24x7). */
export function isBusinessTime(at: Date, calendar: SlaCalendar): boolean {
  const ms = checkDate(at, 'at');
  const cal = working(calendar);
  if (!cal) return true;
  const w = windowOf(localDayNumber(ms, cal.timezone), cal);
  return !!w && ms >= w.start && ms < w.end;
}

/** Checks a calendar (zone, HH:mm, weekdays) and throws `SLA.INVALID_CALENDAR` (400) if it is unusable. */
export function assertValidCalendar(calendar: SlaCalendar): void {
  working(calendar);
}

/** Local wall-clock time of an instant, `YYYY-MM-DD HH:mm:ss` (for views, logs and tests). */
export function localDateTime(at: Date, timezone: string = DEFAULT_TIMEZONE): string {
  const p = localParts(checkDate(at, 'at'), timezone);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${p.year}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}
