/**
 * What an HTTP answer means for the runtime: 2xx written; 429, 408 and 5xx retryable (with
 * Retry-After as retryAfterMs); any other status failed (a 4xx will answer the same again;
 * a 3xx left over after fetch followed redirects is a misconfigured URL).
 */
import type { WriteResult } from '../core/destination.ts';
import { parseRetryAfter } from './retry-after.ts';

/** Response text kept in a reason. */
export const MAX_REASON_BODY_CHARS = 200;

export function statusResult(status: number, retryAfter: string | null, bodyText: string, nowMs?: number): WriteResult {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const text = bodyText.trim().slice(0, MAX_REASON_BODY_CHARS);
  const reason = `HTTP ${status}${text ? `: ${text}` : ''}`;
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return retryAfterMs === undefined ? { kind: 'retryable', reason } : { kind: 'retryable', reason, retryAfterMs };
  }
  return { kind: 'failed', reason };
}
