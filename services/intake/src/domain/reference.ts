/** Human-readable case references: `<PREFIX>-YYYYMMDD-NNNNNN`, the date in the center's zone. */

export const REFERENCE_TIMEZONE = 'Asia/Shanghai';
export const REFERENCE_PATTERN = /^[A-Z]{1,8}-\d{8}-\d{6,}$/;

const dayFormatters = new Map<string, Intl.DateTimeFormat>();
/** The last answer per time zone, by UTC minute (zones' offsets are whole minutes: one day per minute). */
const lastDays = new Map<string, { minute: number; day: string }>();

/** The local calendar day (YYYY-MM-DD) of an instant in a time zone. */
export function localDay(at: Date, timeZone = REFERENCE_TIMEZONE): string {
  const minute = Math.floor(at.getTime() / 60_000);
  const last = lastDays.get(timeZone);
  if (last && last.minute === minute) return last.day;
  let f = dayFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  const day = `${get('year')}-${get('month')}-${get('day')}`;
  lastDays.set(timeZone, { minute, day });
  return day;
}

export function formatReference(prefix: string, day: string, sequence: number): string {
  if (!Number.isInteger(sequence) || sequence < 1)
    throw new RangeError(`sequence must be a positive integer, got ${sequence}`);
  return `${prefix}-${day.replace(/-/g, '')}-${String(sequence).padStart(6, '0')}`;
}

export function isReference(value: string): boolean {
  return REFERENCE_PATTERN.test(value);
}
