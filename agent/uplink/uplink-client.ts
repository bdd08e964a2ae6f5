/**
 * The agent's side of the router protocol (docs/router-protocol.md): one compressed NDJSON
 * batch per request, the bearer token, the remaining-time header, and an answer turned into
 * what the shipper must do next. Client-side adaptive throttling (Google SRE, "Handling
 * Overload"): while the router keeps refusing, the agent refuses locally with probability
 * max(0, (requests - K*accepts) / (requests + 1)) instead of hammering it with retries.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { AdaptiveThrottle } from '../../core/resilience/adaptive-throttle.ts';
import type { Criticality } from '../../core/resilience/criticality.ts';
import { DEADLINE_HEADER } from '../../core/resilience/deadline.ts';

const gzip = promisify(zlib.gzip);
const zstd = promisify(zlib.zstdCompress);

export type UplinkCompression = 'zstd' | 'gzip' | 'none';

export interface UplinkOptions {
  url: string;
  token?: string;
  compression: UplinkCompression;
  requestTimeoutMs: number;
  /** Client-side throttle K (Google SRE): 2 lets the router see twice the traffic it accepts. @default 2 */
  throttleK?: number;
  throttleWindowMs?: number;
  /** Randomness of the throttle's local rejections (tests pin it). @default Math.random */
  random?: () => number;
}

export interface LineResult {
  line: number;
  reason: string;
}

export type SendOutcome =
  /** Every line settled: accepted, or rejected as malformed (never to be sent again). */
  | { kind: 'ok'; accepted: number; rejected: LineResult[] }
  /** Some lines to send again (1-based line numbers of the batch), the rest settled. */
  | { kind: 'partial'; accepted: number; rejected: LineResult[]; retryLines: number[]; retryAfterMs: number }
  /** Nothing written; send the whole batch again later (overload, quota, Kafka, network, timeout, local throttle). */
  | { kind: 'retryable'; reason: string; retryAfterMs?: number }
  /** Nothing written and resending cannot help (auth, a body the router refuses). */
  | { kind: 'failed'; reason: string };

export const CRITICALITY_HEADER = 'x-spillway-criticality';

/** Retry-After seconds, or an HTTP date, to milliseconds. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const secs = Number(header);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

export class UplinkClient {
  readonly #o: UplinkOptions;
  readonly #throttle: AdaptiveThrottle;
  readonly #endpoint: string;
  #token: string | undefined;

  constructor(options: UplinkOptions) {
    this.#o = options;
    this.#token = options.token;
    this.#throttle = new AdaptiveThrottle({ k: options.throttleK, windowMs: options.throttleWindowMs });
    this.#endpoint = new URL('/v1/batches', options.url).toString();
  }

  /**
   * A rotated token (config reload): every request from now on carries it, including the
   * retries and spool replays of batches that went out with the old one.
   */
  setToken(token: string | undefined): void {
    this.#token = token;
  }

  /** The throttle's current local rejection probability (for metrics). */
  rejectProbability(): number {
    return this.#throttle.rejectProbability();
  }

  /** Compresses NDJSON lines as configured; the spool stores exactly these bytes. */
  async encode(lines: readonly Buffer[]): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (const l of lines) parts.push(l, NEWLINE);
    const body = Buffer.concat(parts);
    if (this.#o.compression === 'zstd') return zstd(body);
    if (this.#o.compression === 'gzip') return gzip(body);
    return body;
  }

  /** Sends one encoded batch; `remainingMs` is what the caller can still wait. */
  /**
   * Sends one encoded batch. `encoding` is how `body` was compressed (a spooled batch keeps
   * the encoding it was written with, even if the config changed since). @default the configured compression
   */
  async send(
    body: Buffer,
    criticality: Criticality,
    remainingMs = this.#o.requestTimeoutMs,
    encoding: UplinkCompression = this.#o.compression,
  ): Promise<SendOutcome> {
    const p = this.#throttle.rejectProbability();
    if (!this.#throttle.shouldAttempt(this.#o.random)) {
      return { kind: 'retryable', reason: `throttled locally: the router refused recently (p=${p.toFixed(2)})` };
    }
    const budget = Math.min(remainingMs, this.#o.requestTimeoutMs);
    let res: Response;
    try {
      res = await fetch(this.#endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          ...(encoding === 'none' ? {} : { 'content-encoding': encoding }),
          ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          [DEADLINE_HEADER]: String(Math.max(0, budget - 50)),
          [CRITICALITY_HEADER]: criticality,
        },
        body,
        signal: AbortSignal.timeout(budget),
      });
    } catch (err) {
      this.#throttle.record(false);
      const e = err as Error;
      return {
        kind: 'retryable',
        reason:
          e.name === 'TimeoutError' ? `router did not answer within ${budget} ms` : `router unreachable: ${e.message}`,
      };
    }
    const text = await res.text().catch(() => '');
    const wait = retryAfterMs(res.headers.get('retry-after'));
    // Overload and quota answers are refusals for the throttle; everything else was accepted work.
    this.#throttle.record(res.status !== 429 && res.status !== 503);
    let body2: {
      accepted?: number;
      rejected?: LineResult[];
      retry?: { line: number; retryAfterMs?: number }[];
      error?: string;
    } = {};
    try {
      body2 = JSON.parse(text);
    } catch {
      // not JSON: only the status counts
    }
    if (res.status === 200) return { kind: 'ok', accepted: body2.accepted ?? 0, rejected: body2.rejected ?? [] };
    if (res.status === 207) {
      // A 207 without its line list cannot say what to resend: treat it as nothing written.
      if (!Array.isArray(body2.retry))
        return { kind: 'retryable', reason: 'router answered 207 without a retry list', retryAfterMs: wait };
      const retry = body2.retry;
      return {
        kind: 'partial',
        accepted: body2.accepted ?? 0,
        rejected: body2.rejected ?? [],
        retryLines: retry.map((r) => r.line),
        retryAfterMs: wait ?? Math.max(0, ...retry.map((r) => r.retryAfterMs ?? 0)),
      };
    }
    const reason = `router answered ${res.status}${body2.error ? `: ${body2.error}` : ''}`;
    // Only a batch the router judged unacceptable in itself is refused for good. Everything
    // else (auth after a token rotation, a proxy's 404, 408, 415, 5xx) can be fixed on the
    // other side, so the batch waits in the spool rather than being dropped.
    if (res.status === 400 || res.status === 413) return { kind: 'failed', reason };
    return { kind: 'retryable', reason, retryAfterMs: wait };
  }
}

const NEWLINE = Buffer.from('\n');
