/**
 * Retry-After (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date. Used by the http
 * sink and by the search sinks for a whole-request 429/503.
 */

/** A Retry-After further away than this is treated as this: the runtime's gutter takes over long before. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** The wait in ms, or undefined when the header is absent or unreadable. `nowMs` is for HTTP-dates. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number = Date.now()): number | undefined {
  if (header == null) return undefined;
  const text = header.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // An HTTP-date names a month (Date.parse alone would read "-1" as a year).
  if (!/[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}
