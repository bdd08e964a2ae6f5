/**
 * What a log record is on the wire, shared by the agent (which emits records) and the
 * router (which judges them): the logId shape, pino's numeric levels, and how a rejection
 * reason quotes a bad value. One definition, so a record the agent accepts always passes
 * the router.
 */
import type { Level } from '../config/common.ts';

/** A logId on the wire: 1-64 letters, digits, "_", "." or "-". */
export const LOG_ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const LOG_ID_EXPECTED = 'a string of 1-64 letters, digits, "_", "." or "-"';

export function isLogId(v: unknown): v is string {
  return typeof v === 'string' && LOG_ID.test(v);
}

/** pino's numeric levels. */
export const PINO_LEVELS: Readonly<Record<number, Level>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Longest value quoted back in a rejection reason, so a 10 MB garbage line yields a short message. */
export const QUOTE_MAX = 40;

/** A value as a rejection reason quotes it: strings JSON-quoted and cut at QUOTE_MAX characters. */
export function quote(v: unknown): string {
  const s =
    typeof v === 'string'
      ? JSON.stringify(v)
      : Array.isArray(v)
        ? 'an array'
        : v === null
          ? 'null'
          : typeof v === 'object'
            ? 'an object'
            : String(v);
  return s.length > QUOTE_MAX ? `${s.slice(0, QUOTE_MAX)}…` : s;
}
