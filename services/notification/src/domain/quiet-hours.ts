/**
 * Quiet hours for non-urgent resident messages, in local time of a fixed-offset zone
 * (Asia/Shanghai is UTC+8 all year). A window may wrap midnight (`22:00-07:00`).
 */
export interface QuietHours {
  /** Minutes after local midnight. */
  startMin: number;
  endMin: number;
  utcOffsetMin: number;
}

/** Parses `HH:MM-HH:MM`; `off`, `none` or empty disables quiet hours (returns null). */
export function parseQuietHours(spec: string | undefined, utcOffsetMin = 480): QuietHours | null {
  const s = (spec ?? '').trim().toLowerCase();
  if (s === '' || s === 'off' || s === 'none') return null;
  const m = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(s);
  if (!m) throw new Error(`QUIET_HOURS must look like 22:00-07:00 (or "off"), got "${spec}"`);
  const [h1, m1, h2, m2] = m.slice(1).map(Number);
  if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) throw new Error(`QUIET_HOURS has an invalid time: "${spec}"`);
  const startMin = h1 * 60 + m1;
  const endMin = h2 * 60 + m2;
  if (startMin === endMin) return null;
  return { startMin, endMin, utcOffsetMin };
}

/**
 * When `now` falls in the quiet window, the instant the window ends (send then); otherwise null
 * (send now).
 */
export function quietHoursEnd(now: Date, q: QuietHours | null): Date | null {
  if (!q) return null;
  const localMs = now.getTime() + q.utcOffsetMin * 60_000;
  const dayStartLocal = Math.floor(localMs / 86_400_000) * 86_400_000;
  const minute = (localMs - dayStartLocal) / 60_000;
  const wraps = q.startMin > q.endMin;
  const inside = wraps
    ? minute >= q.startMin || minute < q.endMin
    : minute >= q.startMin && minute < q.endMin;
  if (!inside) return null;
  // The end is today at endMin, unless the window wraps and we are in its evening part (then tomorrow).
  const endDay = wraps && minute >= q.startMin ? dayStartLocal + 86_400_000 : dayStartLocal;
  return new Date(endDay + q.endMin * 60_000 - q.utcOffsetMin * 60_000);
}
