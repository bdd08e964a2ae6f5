/**
 * The router's HTTP face. POST /v1/batches takes an agent batch (NDJSON, identity / gzip /
 * zstd, bearer token) and answers only after Kafka acknowledged what it accepted; also
 * /healthz, /readyz and /metrics. Status codes and the response body are specified in
 * docs/router-protocol.md.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SpillwayConfig } from '../../config/schema.ts';
import type { Clock } from '../../core/resilience/clock.ts';
import { systemClock } from '../../core/resilience/clock.ts';
import type { Criticality } from '../../core/resilience/criticality.ts';
import { DEADLINE_HEADER, Deadline } from '../../core/resilience/deadline.ts';
import type { Telemetry } from '../../core/telemetry.ts';
import { TokenCheck } from './auth.ts';
import { type BatchOutcome, type ClusterSender, deliverBatch, prepareBatch, type QuotaCheck } from './batch.ts';
import { DecodeError, decodeBody, encodingOf } from './decode.ts';

export const BATCH_PATH = '/v1/batches';
/** Decoded bodies may be this many times the compressed limit: NDJSON logs compress 5-10x with zstd. */
export const MAX_DECODE_RATIO = 16;
/** Margin kept from the request deadline for answering after the produce: the reply must reach the agent before it gives up. */
export const ANSWER_MARGIN_MS = 50;

/** Overload admission (core/resilience/overload-limiter implements it). */
export interface Admission {
  tryAcquire(criticality: Criticality): { ok: true; done(): void } | { ok: false; retryAfterMs: number };
}

export interface GatewayOptions {
  config: SpillwayConfig;
  senders: ReadonlyMap<string, ClusterSender>;
  telemetry: Telemetry;
  quota?: QuotaCheck;
  admission?: Admission;
  clock?: Clock;
  /** Extra readiness detail (per-cluster state) for /readyz. */
  readiness?: () => { ready: boolean; detail: Record<string, unknown> };
}

export interface Gateway {
  url: string;
  server: http.Server;
  /**
   * A live config reload: the next request is placed, authenticated and bounded by `next`;
   * requests in flight finish on the config they started with. The server's socket and
   * timeouts stay (config/diff.ts lists those keys as restart-only).
   */
  reconfigure(next: SpillwayConfig): void;
  /** Stops accepting, waits for in-flight batches (up to the request timeout), closes. */
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function retryAfter(ms: number): Record<string, string> {
  return { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) };
}

/** Reads the body up to `max` bytes; rejects with 413 past it without buffering the rest. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new DecodeError(413, `body exceeds router.maxBodyBytes (${max} bytes)`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** HTTP status for a batch outcome: 200 all settled, 207 some lines to retry, 429/503 nothing written and everything retryable. */
export function statusOf(o: BatchOutcome): number {
  if (o.retry.length === 0) return 200;
  if (o.accepted > 0 || o.rejected.length > 0) return 207;
  return o.retry.every((r) => r.reason.startsWith('quota')) ? 429 : 503;
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const { telemetry } = opts;
  let config = opts.config;
  const clock = opts.clock ?? systemClock;
  let tokens = new TokenCheck(config.router.tokens);
  let draining = false;
  let inflight = 0;
  let idle: (() => void) | undefined;

  async function handleBatchRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    // One config for the whole request, even when a reload lands while it is in flight.
    const cfg = config;
    const rc = cfg.router;
    if (req.method !== 'POST') {
      send(res, 405, { error: `use POST for ${BATCH_PATH}` }, { allow: 'POST' });
      return 405;
    }
    if (tokens.agentFor(req.headers.authorization) === undefined) {
      telemetry.inc('spillway_errors_total', { kind: 'auth' });
      send(res, 401, { error: 'missing or unknown bearer token' }, { 'www-authenticate': 'Bearer realm="spillway"' });
      return 401;
    }
    const deadline = Deadline.fromHeader(
      req.headers[DEADLINE_HEADER] as string | undefined,
      rc.requestTimeoutMs,
      clock,
    );
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > rc.maxBodyBytes) {
      send(
        res,
        413,
        { error: `body of ${declared} bytes exceeds router.maxBodyBytes (${rc.maxBodyBytes})` },
        { connection: 'close' },
      );
      req.destroy();
      return 413;
    }
    let body: Buffer;
    try {
      const encoding = encodingOf(req.headers['content-encoding']);
      body = await decodeBody(await readBody(req, rc.maxBodyBytes), encoding, rc.maxBodyBytes * MAX_DECODE_RATIO);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      telemetry.inc('spillway_errors_total', { kind: 'decode' });
      send(res, err.status, { error: err.message }, err.status === 413 ? { connection: 'close' } : {});
      return err.status;
    }
    if (deadline.expired()) {
      telemetry.inc('spillway_records_dropped_total', { reason: 'deadline', criticality: 'unknown' });
      send(res, 504, { error: 'the request deadline passed before its records could be produced' });
      return 504;
    }
    const batch = prepareBatch(body, cfg, telemetry);
    const ticket = batch.criticality && opts.admission ? opts.admission.tryAcquire(batch.criticality) : undefined;
    if (ticket && !ticket.ok) {
      telemetry.inc(
        'spillway_records_dropped_total',
        { reason: 'overload', criticality: batch.criticality! },
        batch.placed.length,
      );
      send(
        res,
        503,
        { error: `overloaded: shedding ${batch.criticality} batches`, retryAfterMs: ticket.retryAfterMs },
        retryAfter(ticket.retryAfterMs),
      );
      return 503;
    }
    try {
      const outcome = await deliverBatch(batch, {
        config: cfg,
        senders: opts.senders,
        quota: opts.quota,
        telemetry,
        // The produce never outlives the agent's deadline, nor router.produceTimeoutMs.
        produceBudgetMs: () => Math.min(rc.produceTimeoutMs, deadline.remainingMs() - ANSWER_MARGIN_MS),
      });
      const status = statusOf(outcome);
      const wait = Math.max(0, ...outcome.retry.map((r) => r.retryAfterMs));
      send(
        res,
        status,
        { accepted: outcome.accepted, rejected: outcome.rejected, retry: outcome.retry, fallback: outcome.fallback },
        outcome.retry.length > 0 ? retryAfter(wait) : {},
      );
      return status;
    } finally {
      if (ticket?.ok) ticket.done();
    }
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<[string, number]> {
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case BATCH_PATH:
        if (draining) {
          send(res, 503, { error: 'router is shutting down' }, { ...retryAfter(1000), connection: 'close' });
          return ['batches', 503];
        }
        return ['batches', await handleBatchRequest(req, res)];
      case '/healthz':
        send(res, 200, 'ok\n');
        return ['healthz', 200];
      case '/readyz': {
        const r = opts.readiness?.() ?? { ready: true, detail: {} };
        const ready = r.ready && !draining;
        send(res, ready ? 200 : 503, { ready, draining, ...r.detail });
        return ['readyz', ready ? 200 : 503];
      }
      case '/metrics': {
        const m = await telemetry.expose();
        res.writeHead(200, { 'content-type': m.contentType });
        res.end(m.body);
        return ['metrics', 200];
      }
      default:
        send(res, 404, { error: `no route ${path}` });
        return ['other', 404];
    }
  }

  const server = http.createServer((req, res) => {
    const started = clock.now();
    inflight++;
    telemetry.set('spillway_inflight_requests', inflight);
    route(req, res)
      .catch((err) => {
        telemetry.inc('spillway_errors_total', { kind: 'internal' });
        if (!res.headersSent) send(res, 500, { error: `internal error: ${(err as Error).message}` });
        return ['batches', 500] as [string, number];
      })
      .then(([name, status]) => {
        telemetry.inc('spillway_requests_total', { route: name, status: String(status) });
        telemetry.observe('spillway_request_duration_seconds', (clock.now() - started) / 1000, { route: name });
      })
      .finally(() => {
        inflight--;
        telemetry.set('spillway_inflight_requests', inflight);
        if (inflight === 0) idle?.();
      });
  });
  const rc = config.router;
  server.requestTimeout = rc.requestTimeoutMs + 1_000;
  server.headersTimeout = Math.min(rc.requestTimeoutMs, 10_000);
  server.keepAliveTimeout = rc.idleTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(rc.listen.port, rc.listen.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    server,
    reconfigure(next) {
      config = next;
      tokens = new TokenCheck(next.router.tokens);
    },
    async close() {
      draining = true;
      server.close();
      server.closeIdleConnections();
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => {
            idle = resolve;
          }),
          new Promise((resolve) => setTimeout(resolve, rc.requestTimeoutMs).unref()),
        ]);
      }
      server.closeAllConnections();
    },
  };
}
