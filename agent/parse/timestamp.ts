/**
 * Timestamps as logs write them, to milliseconds since the epoch. Shared by the syslog
 * parser (RFC 5424 / RFC 3164 headers) and the plain-text judge (a line's leading time).
 *
 * Leading times a text line may start with (`leadingTime`), optionally in brackets:
 * - ISO 8601 / RFC 3339: `2026-11-30T13:28:53.696Z`, `2026-11-30T14:28:53+01:00`, and the
 *   log4j / Python / logback shapes `2026-11-30 13:28:53,696`, `2026-11-30 13:28:53.696+0100`.
 * - syslog (RFC 3164): `Nov 30 13:28:53`, with or without a year.
 * - epoch: 10 digits of seconds (with an optional fraction) or 13 digits of milliseconds.
 * A time without a zone is read in the agent host's zone (the process's TZ), as the
 * service that wrote it most likely ran there too.
 */

export const MONTHS: Readonly<Record<string, number>> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

export function daysIn(year: number, month0: number): number {
  if (month0 === 1) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month0]!;
}

/** UTC ms for a wall-clock time, or undefined when no such time exists. */
export function utcMs(
  y: number,
  month0: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  frac: string | undefined,
) {
  if (month0 < 0 || month0 > 11 || d < 1 || d > daysIn(y, month0) || h > 23 || mi > 59 || s > 59) return undefined;
  const t = new Date(0);
  t.setUTCFullYear(y, month0, d);
  t.setUTCHours(h, mi, s, frac === undefined ? 0 : Math.trunc(Number(`0.${frac}`) * 1000));
  return t.getTime();
}

/** `Z` / `+hh:mm` / `-hh:mm` in minutes east of UTC, or undefined when out of range. */
export function zoneMinutes(z: string): number | undefined {
  if (z === 'Z') return 0;
  const h = Number(z.slice(1, 3));
  const m = Number(z.slice(4, 6));
  if (h > 23 || m > 59) return undefined;
  return (z[0] === '-' ? -1 : 1) * (h * 60 + m);
}

export function rfc3339(m: RegExpExecArray): number | undefined {
  const zone = zoneMinutes(m[8]!);
  const t = utcMs(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7]);
  return t === undefined || zone === undefined ? undefined : t - zone * 60_000;
}

/** BSD wall-clock time in the sender's zone; without a year, the year closest to now. */
export function bsdMs(
  year: number | undefined,
  mon: string,
  d: number,
  h: number,
  mi: number,
  s: number,
  frac: string | undefined,
  nowMs: number,
  offsetMin: number,
): number | undefined | 'no-month' {
  const month0 = MONTHS[mon.toLowerCase()];
  if (month0 === undefined || !Object.hasOwn(MONTHS, mon.toLowerCase())) return 'no-month';
  const shift = offsetMin * 60_000;
  if (year !== undefined) {
    const t = utcMs(year, month0, d, h, mi, s, frac);
    return t === undefined ? undefined : t - shift;
  }
  const thisYear = new Date(nowMs + shift).getUTCFullYear();
  let best: number | undefined;
  for (const y of [thisYear - 1, thisYear, thisYear + 1]) {
    const t = utcMs(y, month0, d, h, mi, s, frac);
    if (t !== undefined && (best === undefined || Math.abs(t - shift - nowMs) < Math.abs(best - nowMs))) {
      best = t - shift;
    }
  }
  return best;
}

/** The time at the start of a text line, and the zone to read zone-less times in. */
const TEXT_ISO_AT =
  /(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?: ?(Z|UTC|[+-]\d{2}:?\d{2}))?\]?(?=[\s|]|$)/y;
const TEXT_BSD_AT = /([A-Za-z]{3}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,6}))?\]?(?=\s|$)/y;
const EPOCH_AT = /(\d{10})(?:\.(\d{1,9}))?\]?(?=\s|$)|(\d{13})\]?(?=\s|$)/y;

/** Minutes east of UTC of the host's zone at `ms`. */
export function localOffsetMinutes(ms: number): number {
  return -new Date(ms).getTimezoneOffset();
}

/**
 * The time a text line starts with (after optional spaces and one `[`), or undefined when
 * it starts with none, or with one that names no such time (`2026-02-30 …`). `nowMs`
 * picks the year of a yearless syslog time (the one closest to now).
 */
export function leadingTime(s: string, nowMs: number): number | undefined {
  let p = 0;
  while (p < s.length && (s.charCodeAt(p) === 0x20 || s.charCodeAt(p) === 0x09)) p++;
  if (s.charCodeAt(p) === 0x5b /* [ */) p++;
  const c = s.charCodeAt(p);
  if (c >= 0x30 && c <= 0x39) {
    TEXT_ISO_AT.lastIndex = p;
    const m = TEXT_ISO_AT.exec(s);
    if (m !== null) {
      const t = utcMs(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7]);
      if (t === undefined) return undefined;
      const z = m[8];
      if (z === undefined) {
        // The host's zone at that wall-clock time (right across a DST change).
        const ms = m[7] === undefined ? 0 : Math.trunc(Number(`0.${m[7]}`) * 1000);
        return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms).getTime();
      }
      const zone = z === 'Z' || z === 'UTC' ? 0 : zoneMinutes(z.length === 5 ? `${z.slice(0, 3)}:${z.slice(3)}` : z);
      return zone === undefined ? undefined : t - zone * 60_000;
    }
    EPOCH_AT.lastIndex = p;
    const e = EPOCH_AT.exec(s);
    if (e === null) return undefined;
    if (e[3] !== undefined) return Number(e[3]);
    return Number(e[1]) * 1000 + (e[2] === undefined ? 0 : Math.trunc(Number(`0.${e[2]}`) * 1000));
  }
  TEXT_BSD_AT.lastIndex = p;
  const b = TEXT_BSD_AT.exec(s);
  if (b === null) return undefined;
  const t = bsdMs(
    b[3] === undefined ? undefined : +b[3],
    b[1]!,
    +b[2]!,
    +b[4]!,
    +b[5]!,
    +b[6]!,
    b[7],
    nowMs,
    localOffsetMinutes(nowMs),
  );
  return typeof t === 'number' ? t : undefined;
}
