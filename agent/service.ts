/**
 * The agent process: inputs -> parsers -> shipper (batcher, uplink, disk spool).
 *
 * Inputs: `http` (POST /v1/lines, NDJSON, what `spillway/pino` sends), `tcp` (NDJSON),
 * `syslog` (TCP or UDP), `file` (tail with rotation and checkpoints) and `stdin`. The HTTP
 * input answers only once its lines are with the router or in the spool, so a client never
 * gets a 200 for lines a crash could lose; the file input checkpoints only settled lines.
 *
 * Each input is a unit started and drained on its own, so a live reload (`reconfigure`,
 * driven by config/reload.ts; issue #14) restarts only the inputs whose config changed and
 * swaps the uplink token and the logIds (quotas, criticality, labels) under the others.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { changedPaths, restartMessage, restartRequired } from '../config/diff.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { type MetricsServer, startMetricsServer } from '../core/metrics-server.ts';
import type { Criticality } from '../core/resilience/criticality.ts';
import { TokenBucket } from '../core/resilience/token-bucket.ts';
import { Telemetry } from '../core/telemetry.ts';
import { criticalityOfRecord } from '../router/placement.ts';
import { FileTailInput } from './inputs/file-tail.ts';
import { type PlannedInput, planInputs } from './inputs/input-plan.ts';
import { type AgentInput, inputName, inputParsers } from './inputs/line-formats.ts';
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

/** One running input, as the agent reports it (tests, status). */
export interface AgentInputInfo {
  name: string;
  type: AgentInput['type'];
  /** The bound port of a tcp, syslog or http input. */
  port: number | undefined;
}

export interface RunningAgent {
  /** URL of the first http input, when there is one (follows reloads). */
  readonly httpUrl: string | undefined;
  shipper: Shipper;
  spool: Spool;
  /** The tcp and syslog inputs, in config order (follows reloads). */
  readonly sockets: SocketInput[];
  /** Every running input, in config order (follows reloads). */
  readonly inputs: AgentInputInfo[];
  /** The config the agent runs on now. */
  readonly config: SpillwayConfig;
  /** Lines dropped at the edge because their logId was over its quota, per logId. */
  quotaDropped: ReadonlyMap<string, number>;
  telemetry: Telemetry;
  /** Base URL of the --metrics-port server, when one was asked for. */
  metricsUrl: string | undefined;
  /** Resolves when stdin ended and its lines are settled (only with a stdin input). */
  stdinDone: Promise<void> | undefined;
  /**
   * Applies a new config live (a reload, config/reload.ts): inputs added, removed or changed,
   * the uplink token, the logIds (quotas, criticality, metric labels). All of it or nothing:
   * it throws, with the old config still in force, when a new input cannot start or the new
   * config changes a key the agent only reads at start (config/diff.ts RESTART_KEYS).
   */
  reconfigure(next: SpillwayConfig): Promise<void>;
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

/** One input, started on its own and drained on its own (a reload touches only the inputs it changes). */
interface RunningInput {
  readonly name: string;
  readonly input: AgentInput;
  readonly socket?: SocketInput;
  /** The bound port of an http input. */
  readonly httpPort?: number;
  /** Stops taking lines, settles what it took (shipped or spooled), writes checkpoints, closes sockets. */
  close(): Promise<void>;
}

type Buckets = ReadonlyMap<string, TokenBucket>;

/**
 * Per-logId token buckets from the logIds' quotas: one second of burst. A bucket whose
 * quota a reload left as it was is kept, with the tokens it has.
 */
function bucketsOf(logIds: SpillwayConfig['logIds'], previous: Buckets = new Map()): Buckets {
  const out = new Map<string, TokenBucket>();
  for (const l of logIds) {
    if (!l.quota) continue;
    const rate = l.quota.recordsPerSec;
    const old = previous.get(l.id);
    out.set(
      l.id,
      old !== undefined && old.ratePerSec === rate
        ? old
        : new TokenBucket({ ratePerSec: rate, burst: Math.max(1, rate) }),
    );
  }
  return out;
}

export async function startAgent(config: SpillwayConfig, options: AgentOptions = {}): Promise<RunningAgent> {
  const log = options.logger ?? createLogger('agent');
  const a = config.agent;
  /** The config in force: a reload replaces it whole, once everything of it applied. */
  let current = config;
  // The same criticality the router gives the record (placement computes it for both).
  const criticalityOfLine = (l: AgentLine): Criticality => criticalityOfRecord(l, current);

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
  /** Every input running now, in config order by name (a reload swaps it whole). */
  let units = new Map<string, RunningInput>();
  /** Started and not yet closed, including the ones a reload is starting: what the shed count sums. */
  const live = new Set<RunningInput>();
  /** UDP lines shed by socket inputs a reload closed (the metric is a counter: it must not go back). */
  let retiredShed = 0;
  const shedTotal = () => [...live].reduce((n, u) => n + (u.socket?.stats.shed ?? 0), retiredShed);
  const refreshMetrics = agentMetricsRefresher(telemetry, shipper, spool, shedTotal);
  const expose = () => {
    refreshMetrics();
    return telemetry.expose();
  };
  // logId labels only for configured logIds (bounded cardinality); the rest count as the fallback.
  let configured = new Set(config.logIds.map((l) => l.id));
  const labelOf = (logId: string) => (configured.has(logId) ? logId : (current.router.fallbackLogId ?? 'unconfigured'));
  const stamp = makeStamp(os.hostname(), a.origin);
  let buckets = bucketsOf(config.logIds);
  const quotaDropped = new Map<string, number>();
  // Never silent: every input's refused lines are counted, logged (rate-limited) and summed
  // at stop. One reporter per input name, kept when a reload restarts or removes the input.
  const reporters = new Map<string, RejectionReporter>();
  const reporterOf = (name: string) => {
    let r = reporters.get(name);
    if (r === undefined) {
      r = new RejectionReporter({ input: name, log, telemetry });
      reporters.set(name, r);
    }
    return r;
  };

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

  async function startFileInput(
    input: Extract<AgentInput, { type: 'file' | 'kubernetes' }>,
    n: number,
  ): Promise<RunningInput> {
    const name = inputName(input, n);
    const parsers = inputParsers(input, stamp, log);
    const reporter = reporterOf(name);
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
    try {
      await tail.start();
    } catch (err) {
      await tail.close();
      throw err;
    }
    // close(): stops reading, waits for the lines in flight to settle, writes the checkpoint.
    return { name, input, close: () => tail.close() };
  }

  async function startSocket(input: Extract<AgentInput, { type: 'tcp' | 'syslog' }>, n: number) {
    const kind = input.type === 'tcp' ? 'tcp' : input.protocol === 'tcp' ? 'syslog-tcp' : 'syslog-udp';
    const name = inputName(input, n);
    const reporter = reporterOf(name);
    const parsers = input.type === 'tcp' ? inputParsers(input, stamp, log) : undefined;
    const socket = await startSocketInput({
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
    });
    return { name, input, socket, close: () => socket.close() };
  }

  async function startHttpInput(input: Extract<AgentInput, { type: 'http' }>, n: number): Promise<RunningInput> {
    const name = inputName(input, n);
    const reporter = reporterOf(name);
    let inFlight = 0;
    let idle: (() => void) | undefined;
    const server = http.createServer((req, res) => {
      inFlight++;
      res.on('close', () => {
        if (--inFlight === 0) idle?.();
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
    const port = (server.address() as AddressInfo).port;
    log.info({ url: `http://${input.listen.host}:${port}` }, 'http input listening');
    return {
      name,
      input,
      httpPort: port,
      // Stop taking new requests; the ones in flight get their answers (their lines settle in
      // the spool at the latest).
      async close() {
        server.close();
        server.closeIdleConnections();
        if (inFlight === 0) return;
        await Promise.race([
          new Promise<void>((r) => {
            idle = r;
          }),
          new Promise((r) => setTimeout(r, HTTP_INPUT_REQUEST_TIMEOUT_MS).unref()),
        ]);
      },
    };
  }

  // stdin: a stream of lines in the input's format, shipped in chunks as they come; reading
  // pauses while too many lines are unsettled, so a slow router backs up into the pipe, not into memory.
  let stdinDone: Promise<void> | undefined;
  function startStdinInput(input: Extract<AgentInput, { type: 'stdin' }>, n: number): RunningInput {
    const name = inputName(input, n);
    const reporter = reporterOf(name);
    const parsers = inputParsers(input, stamp, log);
    let stdinTimer: NodeJS.Timeout | undefined;
    /** Stopping while stdin is still open: its partial last line and open message are shipped too. */
    let stdinFinish: (() => void) | undefined;
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
    return {
      name,
      input,
      close: async () => {
        stdinFinish?.();
      },
    };
  }

  /** Starts one input alone; a failed start leaves nothing of it running. */
  async function startInput(input: AgentInput, n: number): Promise<RunningInput> {
    let unit: RunningInput;
    switch (input.type) {
      case 'file':
      case 'kubernetes':
        unit = await startFileInput(input, n);
        break;
      case 'tcp':
      case 'syslog':
        unit = await startSocket(input, n);
        break;
      case 'http':
        unit = await startHttpInput(input, n);
        break;
      case 'stdin':
        unit = startStdinInput(input, n);
        break;
    }
    live.add(unit);
    return unit;
  }

  /** Drains and closes one input; its shed count stays in the metric. */
  async function closeInput(unit: RunningInput): Promise<void> {
    await unit.close();
    if (live.delete(unit)) retiredShed += unit.socket?.stats.shed ?? 0;
  }

  /** The --stdin flag makes a stdin input of its own when the config has none. */
  const inputsOf = (c: SpillwayConfig): readonly AgentInput[] =>
    options.stdinLogId !== undefined && !c.agent.inputs.some((i) => i.type === 'stdin')
      ? [...c.agent.inputs, { type: 'stdin', format: 'auto', defaultLogId: options.stdinLogId }]
      : c.agent.inputs.map((i) =>
          i.type === 'stdin' && options.stdinLogId !== undefined ? { ...i, defaultLogId: options.stdinLogId } : i,
        );

  let metrics: MetricsServer | undefined;
  try {
    for (const [n, input] of inputsOf(config).entries()) {
      const unit = await startInput(input, n);
      units.set(unit.name, unit);
    }
    if (options.metricsPort !== undefined) {
      metrics = await startMetricsServer(telemetry, { port: options.metricsPort, expose });
    }
  } catch (err) {
    // Nothing stays half-started: the inputs that did start are drained, the spool closed.
    await Promise.all([...live].map((u) => closeInput(u).catch(() => {})));
    await shipper.close();
    await spool.close();
    for (const r of reporters.values()) r.close();
    throw err;
  }

  /** Applies `next` whole or throws with the old config in force (see RunningAgent.reconfigure). */
  async function apply(next: SpillwayConfig): Promise<void> {
    if (closed) throw new Error('the agent is stopped');
    const previous = current;
    const restart = restartRequired(changedPaths(previous, next), 'agent');
    if (restart.length > 0) {
      throw new Error(restartMessage(restart, 'agent'));
    }
    const plan = planInputs(inputsOf(previous), inputsOf(next));
    // stdin is read once per process: it cannot be opened again, nor handed to a new input.
    const stdin = [...plan.stop.map((name) => units.get(name)!), ...plan.start].find((u) => u.input.type === 'stdin');
    if (stdin !== undefined) {
      throw new Error(
        `agent.inputs: the stdin input "${stdin.name}" cannot be added, removed or changed by a reload: restart the agent`,
      );
    }
    const started = new Map<string, RunningInput>();
    const startAll = async (which: readonly PlannedInput[]) => {
      for (const s of which) started.set(s.name, await startInput(s.input, s.index));
    };
    const undoStarts = () => Promise.all([...started.values()].map((u) => closeInput(u).catch(() => {})));
    // 1. New inputs that need nothing the old ones hold: a port that cannot be bound fails
    //    the reload here, before anything running was touched.
    try {
      await startAll(plan.start.filter((s) => s.startFirst));
    } catch (err) {
      await undoStarts();
      throw err;
    }
    // 2. Inputs going away are drained: their lines settle, file checkpoints are written.
    const stopping = plan.stop.map((name) => units.get(name)!);
    for (const r of await Promise.allSettled(stopping.map((u) => closeInput(u)))) {
      if (r.status === 'rejected')
        log.warn({ err: (r.reason as Error).message }, 'config reload: closing an input failed');
    }
    // 3. Inputs that needed what the old ones held (the same port, the same files).
    try {
      await startAll(plan.start.filter((s) => !s.startFirst));
    } catch (err) {
      // Back to the old inputs (a port taken meanwhile by another process, a checkpoint
      // directory gone): the old ones start again from their config and checkpoints.
      await undoStarts();
      const restarted = await Promise.allSettled(
        stopping.map(async (u) => {
          const index = inputsOf(previous).findIndex((i, n) => inputName(i, n) === u.name);
          units.delete(u.name);
          units.set(u.name, await startInput(u.input, index));
        }),
      );
      units = new Map(
        inputsOf(previous).flatMap((i, n): [string, RunningInput][] => {
          const u = units.get(inputName(i, n));
          return u === undefined ? [] : [[u.name, u]];
        }),
      );
      for (const r of restarted) {
        if (r.status === 'rejected') {
          log.error({ err: (r.reason as Error).message }, 'config reload: an old input could not be started again');
        }
      }
      throw err;
    }
    // 4. Everything started: the new config is in force.
    const nextUnits = new Map<string, RunningInput>();
    for (const [n, input] of inputsOf(next).entries()) {
      const name = inputName(input, n);
      nextUnits.set(name, started.get(name) ?? units.get(name)!);
    }
    units = nextUnits;
    uplink.setToken(next.agent.uplink.token);
    buckets = bucketsOf(next.logIds, buckets);
    configured = new Set(next.logIds.map((l) => l.id));
    current = next;
    log.info(
      {
        added: plan.start.filter((s) => !plan.changed.includes(s.name)).map((s) => s.name),
        removed: plan.stop.filter((name) => !plan.changed.includes(name)),
        restarted: plan.changed,
      },
      'agent: new config applied',
    );
  }

  let closed = false;
  /** One reconfigure or close at a time. */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const p = queue.then(f);
    queue = p.catch(() => {});
    return p;
  };

  return {
    telemetry,
    metricsUrl: metrics?.url,
    get httpUrl() {
      const first = [...units.values()].find((u) => u.httpPort !== undefined);
      return first ? `http://127.0.0.1:${first.httpPort}` : undefined;
    },
    shipper,
    spool,
    get sockets() {
      return [...units.values()].flatMap((u) => (u.socket ? [u.socket] : []));
    },
    get inputs() {
      return [...units.values()].map((u) => ({
        name: u.name,
        type: u.input.type,
        port: u.socket?.port ?? u.httpPort,
      }));
    },
    get config() {
      return current;
    },
    quotaDropped,
    stdinDone,
    reconfigure: (next) => serial(() => apply(next)),
    close: () =>
      serial(async () => {
        closed = true;
        // Stop taking new work, let requests already in flight get their answers (their lines
        // settle in the spool at the latest), then spool what is still batched.
        await Promise.all([...live].map((u) => closeInput(u)));
        await shipper.close();
        await spool.close();
        await metrics?.close();
        for (const r of reporters.values()) r.close();
        const all = [...reporters.values()];
        const rejected = all.reduce((n, r) => n + r.rejected, 0);
        const rejectedByInput = Object.fromEntries(
          all.filter((r) => r.rejected > 0).map((r) => [r.input, Object.fromEntries(r.total)]),
        );
        // UDP lines shed past the queue budget: only the input knew of them.
        log.info({ ...shipper.stats, inputShed: shedTotal(), rejected, rejectedByInput }, 'agent stopped');
      }),
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
