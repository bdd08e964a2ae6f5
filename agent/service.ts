/**
 * The agent process: inputs -> parsers -> shipper (batcher, uplink, disk spool).
 *
 * Inputs: `http` (POST /v1/lines, NDJSON, what `spillway/pino` sends), `tcp` (NDJSON),
 * `syslog` (TCP or UDP), `file` (tail with rotation and checkpoints) and `stdin`. The HTTP
 * input answers only once its lines are with the router or in the spool, so a client never
 * gets a 200 for lines a crash could lose; the file input checkpoints only settled lines.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SpillwayConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { type MetricsServer, startMetricsServer } from '../core/metrics-server.ts';
import type { Criticality } from '../core/resilience/criticality.ts';
import { TokenBucket } from '../core/resilience/token-bucket.ts';
import { Telemetry } from '../core/telemetry.ts';
import { criticalityOfRecord } from '../router/placement.ts';
import { FileTailInput } from './inputs/file-tail.ts';
import { inputName, inputParsers } from './inputs/line-formats.ts';
import { RejectionReporter } from './inputs/rejections.ts';
import { MAX_UNSETTLED_LINES, type SocketInput, STREAM_TICK_MS, startSocketInput } from './inputs/socket-inputs.ts';
import { agentMetricsRefresher } from './metrics.ts';
import { JsonLinesParser } from './parse/json-lines.ts';
import type { AgentLine, Rejection } from './parse/output.ts';
import { makeStamp } from './parse/record.ts';
import { MAX_QUEUED_BYTES, Shipper } from './shipper.ts';
import { Spool } from './spool/spool.ts';
import { UplinkClient } from './uplink/uplink-client.ts';

/** Largest HTTP input body: 8 MiB, the router's default max body, so one request fits one uplink batch or few. */
export const HTTP_INPUT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Slowloris guard: a request must arrive whole within this long. */
export const HTTP_INPUT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * The HTTP input takes NDJSON or a JSON array of objects. An array is turned into NDJSON
 * (one element per line) so both go through the same per-line judge; a body that starts
 * with '[' but is not valid JSON is judged as NDJSON, which rejects it line by line.
 */
export function asNdjson(body: Buffer): Buffer {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (body[i] !== 0x5b) return body;
  try {
    const items = JSON.parse(body.toString('utf8')) as unknown;
    if (!Array.isArray(items)) return body;
    return Buffer.from(`${items.map((x) => JSON.stringify(x)).join('\n')}\n`);
  } catch {
    return body;
  }
}

export interface RunningAgent {
  /** URL of the first http input, when there is one. */
  httpUrl: string | undefined;
  shipper: Shipper;
  spool: Spool;
  /** The tcp and syslog inputs, in config order. */
  sockets: SocketInput[];
  /** Lines dropped at the edge because their logId was over its quota, per logId. */
  quotaDropped: ReadonlyMap<string, number>;
  telemetry: Telemetry;
  /** Base URL of the --metrics-port server, when one was asked for. */
  metricsUrl: string | undefined;
  /** Resolves when stdin ended and its lines are settled (only with a stdin input). */
  stdinDone: Promise<void> | undefined;
  close(): Promise<void>;
}

export interface AgentOptions {
  logger?: Logger;
  /** Read stdin as an input with this default logId (the --stdin flag). */
  stdinLogId?: string;
  /** Serve /metrics, /healthz on 127.0.0.1:port too (agents without an http input); 0 picks one. */
  metricsPort?: number;
  telemetry?: Telemetry;
}

export async function startAgent(config: SpillwayConfig, options: AgentOptions = {}): Promise<RunningAgent> {
  const log = options.logger ?? createLogger('agent');
  const a = config.agent;
  // The same criticality the router gives the record (placement computes it for both).
  const criticalityOfLine = (l: AgentLine): Criticality => criticalityOfRecord(l, config);

  const spool = await Spool.open({
    directory: a.spool.directory,
    maxBytes: a.spool.maxBytes,
    fsync: a.spool.fsync,
    logger: log,
  });
  const uplink = new UplinkClient({
    url: a.uplink.url,
    token: a.uplink.token,
    compression: a.uplink.compression,
    requestTimeoutMs: a.uplink.requestTimeoutMs,
  });
  const shipper = new Shipper({ uplink, compression: a.uplink.compression, spool, batch: a.uplink.batch, log });
  shipper.start();
  const telemetry = options.telemetry ?? new Telemetry('agent');
  const sockets: SocketInput[] = [];
  const refreshMetrics = agentMetricsRefresher(telemetry, shipper, spool, () =>
    sockets.reduce((n, s) => n + s.stats.shed, 0),
  );
  const expose = () => {
    refreshMetrics();
    return telemetry.expose();
  };
  // logId labels only for configured logIds (bounded cardinality); the rest count as the fallback.
  const configured = new Set(config.logIds.map((l) => l.id));
  const labelOf = (logId: string) => (configured.has(logId) ? logId : (config.router.fallbackLogId ?? 'unconfigured'));
  const stamp = makeStamp(os.hostname(), a.origin);
  // Per-logId token buckets from the logIds' quotas: one second of burst.
  const buckets = new Map(
    config.logIds
      .filter((l) => l.quota)
      .map((l) => [
        l.id,
        new TokenBucket({ ratePerSec: l.quota!.recordsPerSec, burst: Math.max(1, l.quota!.recordsPerSec) }),
      ]),
  );
  const quotaDropped = new Map<string, number>();
  // Never silent: every input's refused lines are counted, logged (rate-limited) and summed at stop.
  const reporters: RejectionReporter[] = [];
  const reporterOf = (name: string) => {
    const r = new RejectionReporter({ input: name, log, telemetry });
    reporters.push(r);
    return r;
  };
  const servers: http.Server[] = [];
  let httpInFlight = 0;
  let httpIdle: (() => void) | undefined;

  /** Ships parsed lines grouped by criticality; resolves when all are settled. */
  async function shipLines(
    lines: readonly AgentLine[],
    rejected?: Rejection[],
    options: { waitForQuota?: boolean } = {},
  ): Promise<void> {
    const byCriticality = new Map<Criticality, { crit: Criticality; lines: Buffer[] }>();
    // Counted per call, not per line: a metric update per line would cost on the hottest path.
    const received = new Map<string, number>();
    const shed = new Map<Criticality, number>();
    const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
    for (const l of lines) {
      bump(received, labelOf(l.logId));
      // A runaway service cannot eat the host's share: its logId's quota applies here first.
      const bucket = buckets.get(l.logId);
      // Inputs that can hold their backlog (files, stdin) wait for the tokens instead of dropping.
      if (bucket && options.waitForQuota) {
        for (let t = bucket.take(1); !t.ok; t = bucket.take(1)) await sleep(Math.min(t.retryAfterMs, 1_000));
      } else if (bucket && !bucket.take(1).ok) {
        quotaDropped.set(l.logId, (quotaDropped.get(l.logId) ?? 0) + 1);
        bump(shed, criticalityOfLine(l));
        rejected?.push({
          kind: 'quota',
          reason: `logId "${l.logId}" over its quota of ${bucket.ratePerSec} records/s`,
          offset: l.offset,
          span: l.span,
        });
        continue;
      }
      const crit = criticalityOfLine(l);
      const g = byCriticality.get(crit) ?? { crit, lines: [] };
      g.lines.push(l.bytes);
      byCriticality.set(crit, g);
    }
    for (const [logid, n] of received) telemetry.inc('spillway_records_received_total', { logid }, n);
    for (const [criticality, n] of shed) {
      telemetry.inc('spillway_records_dropped_total', { reason: 'quota', criticality }, n);
    }
    await Promise.all([...byCriticality.values()].map((g) => shipper.ship(g.lines, g.crit)));
  }

  /** Parses one HTTP body and ships it; resolves when all its lines are settled. */
  async function take(
    body: Buffer,
    defaultLogId: string | undefined,
    reporter: RejectionReporter,
  ): Promise<{ accepted: number; rejected: Rejection[] }> {
    const accepted: AgentLine[] = [];
    const rejected: Rejection[] = [];
    const parser = new JsonLinesParser(
      { stamp, defaultLogId },
      { accept: (l) => accepted.push(l), reject: (r) => rejected.push(r) },
    );
    parser.push(asNdjson(body));
    parser.end();
    reporter.accepted(reporter.input, accepted.length);
    for (const r of rejected) reporter.reject(r, reporter.input);
    const accepted0 = accepted.length;
    const before = rejected.length;
    await shipLines(accepted, rejected);
    return { accepted: accepted0 - (rejected.length - before), rejected };
  }

  const files: FileTailInput[] = [];
  for (const [n, input] of a.inputs.entries()) {
    if (input.type !== 'file' && input.type !== 'kubernetes') continue;
    const parsers = inputParsers(input, stamp, log);
    const reporter = reporterOf(inputName(input, n));
    const tail = new FileTailInput({
      include: [...input.include],
      exclude: [...input.exclude],
      startAt: input.startAt,
      checkpointFile: await checkpointFileOf(a.spool.directory, input.name, n, log),
      stamp,
      parserFor: parsers.file,
      onParsed: (accepted, source) => reporter.accepted(source, accepted),
      onLines: (lines) => shipLines(lines, undefined, { waitForQuota: true }),
      onReject: (r, source) => reporter.reject(r, source),
      log,
    });
    await tail.start();
    files.push(tail);
  }

  for (const [n, input] of a.inputs.entries()) {
    if (input.type !== 'tcp' && input.type !== 'syslog') continue;
    const kind = input.type === 'tcp' ? 'tcp' : input.protocol === 'tcp' ? 'syslog-tcp' : 'syslog-udp';
    const name = inputName(input, n);
    const reporter = reporterOf(name);
    const parsers = input.type === 'tcp' ? inputParsers(input, stamp, log) : undefined;
    sockets.push(
      await startSocketInput({
        kind,
        host: input.listen.host,
        port: input.listen.port,
        stamp,
        defaultLogId: input.defaultLogId,
        ...(parsers === undefined ? {} : { parser: parsers.stream }),
        onLines: (lines) => {
          reporter.accepted(name, lines.length);
          return shipLines(lines);
        },
        overBudget: () => shipper.queuedBytes > MAX_QUEUED_BYTES,
        onReject: (r) => reporter.reject(r, name),
        log,
      }),
    );
  }

  for (const [n, input] of a.inputs.entries()) {
    if (input.type !== 'http') continue;
    const reporter = reporterOf(inputName(input, n));
    const server = http.createServer((req, res) => {
      httpInFlight++;
      res.on('close', () => {
        if (--httpInFlight === 0) httpIdle?.();
      });
      const route = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && route === '/metrics') {
        expose().then(
          (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
          (err) => res.writeHead(500).end(String(err)),
        );
        return;
      }
      if (req.method === 'GET' && route === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      }
      if (req.method !== 'POST' || route !== '/v1/lines') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'POST NDJSON to /v1/lines; GET /metrics or /healthz' }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > HTTP_INPUT_MAX_BODY_BYTES) {
          res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ error: `body exceeds ${HTTP_INPUT_MAX_BODY_BYTES} bytes` }));
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => {
        if (res.headersSent) return;
        take(Buffer.concat(chunks, size), input.defaultLogId, reporter).then(
          (r) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(
              JSON.stringify({
                accepted: r.accepted,
                rejected: r.rejected.map((x) => ({ kind: x.kind, reason: x.reason })),
              }),
            );
          },
          (err) => {
            res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
            res.end(JSON.stringify({ error: `could not take the lines: ${(err as Error).message}` }));
          },
        );
      });
    });
    server.requestTimeout = HTTP_INPUT_REQUEST_TIMEOUT_MS;
    server.headersTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(input.listen.port, input.listen.host, () => resolve());
    });
    servers.push(server);
    log.info({ url: `http://${input.listen.host}:${(server.address() as AddressInfo).port}` }, 'http input listening');
  }

  // stdin: a stream of lines in the input's format, shipped in chunks as they come; reading
  // pauses while too many lines are unsettled, so a slow router backs up into the pipe, not into memory.
  const stdinIndex = a.inputs.findIndex((i) => i.type === 'stdin');
  const stdinInput = a.inputs[stdinIndex];
  let stdinDone: Promise<void> | undefined;
  let stdinTimer: NodeJS.Timeout | undefined;
  /** Stopping while stdin is still open: its partial last line and open message are shipped too. */
  let stdinFinish: (() => void) | undefined;
  if (options.stdinLogId !== undefined || stdinInput?.type === 'stdin') {
    const input =
      stdinInput?.type === 'stdin'
        ? { ...stdinInput, defaultLogId: options.stdinLogId ?? stdinInput.defaultLogId }
        : { type: 'stdin' as const, format: 'auto' as const, defaultLogId: options.stdinLogId };
    const name = inputName(input, Math.max(0, stdinIndex));
    const reporter = reporterOf(name);
    const parsers = inputParsers(input, stamp, log);
    stdinDone = new Promise<void>((resolve) => {
      const pending = new Set<Promise<void>>();
      let batch: AgentLine[] = [];
      let unsettled = 0;
      const flush = () => {
        if (batch.length === 0) return;
        const lines = batch;
        batch = [];
        unsettled += lines.length;
        if (unsettled > MAX_UNSETTLED_LINES) process.stdin.pause();
        const p: Promise<void> = shipLines(lines, undefined, { waitForQuota: true })
          .catch((err) =>
            log.error({ err: (err as Error).message, lines: lines.length }, 'stdin lines could not be stored'),
          )
          .finally(() => {
            pending.delete(p);
            unsettled -= lines.length;
            if (unsettled <= MAX_UNSETTLED_LINES / 2) process.stdin.resume();
          });
        pending.add(p);
      };
      const parser = parsers.stream({
        accept: (l) => batch.push(l),
        reject: (r) => reporter.reject(r, name),
      });
      const settle = () => {
        reporter.accepted(name, batch.length);
        flush();
      };
      // A multiline message waits for its next line at most its timeout.
      stdinTimer = setInterval(() => {
        parser.tick();
        settle();
      }, STREAM_TICK_MS);
      stdinTimer.unref();
      stdinFinish = () => {
        stdinFinish = undefined;
        clearInterval(stdinTimer);
        parser.end();
        settle();
      };
      process.stdin.on('data', (c: Buffer) => {
        parser.push(c);
        settle();
      });
      process.stdin.on('end', () => {
        stdinFinish?.();
        void Promise.all(pending).then(() => resolve());
      });
    });
  }

  let metrics: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    metrics = await startMetricsServer(telemetry, { port: options.metricsPort, expose });
  }

  const first = servers[0]?.address() as AddressInfo | undefined;
  return {
    telemetry,
    metricsUrl: metrics?.url,
    httpUrl: first ? `http://127.0.0.1:${first.port}` : undefined,
    shipper,
    spool,
    sockets,
    quotaDropped,
    stdinDone,
    async close() {
      // Stop taking new work, let requests already in flight get their answers (their lines
      // settle in the spool at the latest), then spool what is still batched.
      for (const s of servers) {
        s.close();
        s.closeIdleConnections();
      }
      await Promise.all([...sockets.map((s) => s.close()), ...files.map((f) => f.close())]);
      if (httpInFlight > 0) {
        await Promise.race([
          new Promise<void>((r) => {
            httpIdle = r;
          }),
          new Promise((r) => setTimeout(r, HTTP_INPUT_REQUEST_TIMEOUT_MS).unref()),
        ]);
      }
      stdinFinish?.();
      await shipper.close();
      await spool.close();
      await metrics?.close();
      for (const r of reporters) r.close();
      const rejected = reporters.reduce((n, r) => n + r.rejected, 0);
      const rejectedByInput = Object.fromEntries(
        reporters.filter((r) => r.rejected > 0).map((r) => [r.input, Object.fromEntries(r.total)]),
      );
      // UDP lines shed past the queue budget: only the input knew of them.
      const inputShed = sockets.reduce((n, s) => n + s.stats.shed, 0);
      log.info({ ...shipper.stats, inputShed, rejected, rejectedByInput }, 'agent stopped');
    },
  };
}

/**
 * A file input's checkpoint, next to the spool (both are the agent's durable state). A named
 * input keeps its checkpoint when inputs are reordered; an unnamed one is known by its
 * position. Naming an input takes its positional checkpoint along, once.
 */
async function checkpointFileOf(dir: string, name: string | undefined, index: number, log: Logger): Promise<string> {
  const positional = path.join(dir, `file-input-${index}.checkpoint.json`);
  if (name === undefined) return positional;
  const named = path.join(dir, `file-input-name-${name}.checkpoint.json`);
  try {
    await fs.access(named);
  } catch {
    try {
      await fs.rename(positional, named);
      log.info({ from: positional, to: named }, "file input: checkpoint moved to the input's name");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return named;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
