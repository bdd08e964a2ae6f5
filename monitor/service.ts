/**
 * The monitor process: runs the lag sampler and serves, on monitor.listen (127.0.0.1 by
 * default), a read-only JSON API and the Prometheus metrics:
 *
 * - GET /api/state — the latest LagReport (monitor/lag.ts); 503 until the first sample.
 * - GET /api/history?seconds=N — history points of the last N seconds (default and cap:
 *   monitor.historyMs), oldest first: `{ intervalMs, historyMs, points: HistoryPoint[] }`.
 * - GET /api/plan — the placement plan (router/placement-plan.ts): which logId lives on which
 *   cluster and topic, which topics each sink consumes.
 * - GET / — the dashboard (monitor/dashboard/: plain HTML, JS and uPlot, served as files;
 *   nothing to build). Its files carry no data and need no token; the page sends the token
 *   it is given as /#token=<token> with every API call.
 * - GET /metrics — Prometheus text (core/telemetry.ts, component "monitor").
 * - GET /healthz — "ok"; never needs the token (liveness probes carry none).
 *
 * With monitor.token set, every route but /healthz and the dashboard's files needs
 * `Authorization: Bearer <token>`.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { SpillwayConfig } from '../config/schema.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { Telemetry } from '../core/telemetry.ts';
import { TokenCheck } from '../router/gateway/auth.ts';
import type { LagReport } from './lag.ts';
import { forgetLag, publishLag } from './metrics.ts';
import { LagSampler, type SamplerOptions } from './sampler.ts';

export interface MonitorOptions extends Omit<SamplerOptions, 'onSample' | 'logger'> {
  telemetry?: Telemetry;
  logger?: Logger;
  /** Overrides monitor.listen.port (0 picks a free port). */
  port?: number;
}

export interface RunningMonitor {
  url: string;
  sampler: LagSampler;
  telemetry: Telemetry;
  /** A live reload: the token for the next request, the plan, thresholds and scrape list for the next sample. */
  reconfigure(next: SpillwayConfig): void;
  close(): Promise<void>;
}

const here = new URL('./dashboard/', import.meta.url);
const uplotDist = new URL('.', `file://${createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js')}`);

/** The dashboard's files, read once: path -> [content type, body]. */
function dashboardFiles(): Map<string, [string, Buffer]> {
  const read = (base: URL, name: string) => fs.readFileSync(new URL(name, base));
  return new Map([
    ['/', ['text/html; charset=utf-8', read(here, 'index.html')]],
    ['/assets/dashboard.js', ['text/javascript; charset=utf-8', read(here, 'dashboard.js')]],
    ['/assets/dashboard.css', ['text/css; charset=utf-8', read(here, 'dashboard.css')]],
    ['/assets/uPlot.iife.min.js', ['text/javascript; charset=utf-8', read(uplotDist, 'uPlot.iife.min.js')]],
    ['/assets/uPlot.min.css', ['text/css; charset=utf-8', read(uplotDist, 'uPlot.min.css')]],
  ]);
}

/** The sinks and (sink, logId) pairs the monitor's lag gauges are labelled with. */
function lagKeys(c: SpillwayConfig): { sinks: string[]; pairs: [string, string][] } {
  return {
    sinks: c.sinks.map((s) => s.name),
    pairs: c.logIds.flatMap((l) => l.sinks.map((s) => [s, l.id] as [string, string])),
  };
}

function onlyCurrent(report: LagReport, keys: { sinks: string[]; pairs: [string, string][] }): LagReport {
  const sinks = new Set(keys.sinks);
  const pairs = new Set(keys.pairs.map(([s, l]) => `${s}\u0000${l}`));
  return {
    ...report,
    sinks: report.sinks.filter((s) => sinks.has(s.sink)),
    tiers: report.tiers.filter((t) => sinks.has(t.sink)),
    logIds: report.logIds.filter((l) => pairs.has(`${l.sink}\u0000${l.logId}`)),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startMonitor(config: SpillwayConfig, options: MonitorOptions = {}): Promise<RunningMonitor> {
  const telemetry = options.telemetry ?? new Telemetry('monitor');
  let current = config;
  const log = options.logger ?? createLogger('monitor');
  const sampler = new LagSampler(config, {
    ...options,
    logger: log,
    // A sample taken on the plan before a reload must not bring back what the reload forgot.
    onSample: (report) => publishLag(telemetry, onlyCurrent(report, lagKeys(current))),
  });
  const authOf = (c: SpillwayConfig) =>
    c.monitor.token === undefined ? undefined : new TokenCheck([{ agent: 'monitor', token: c.monitor.token }]);
  let auth = authOf(config);
  const maxSeconds = sampler.historyMs / 1000;
  const files = dashboardFiles();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://monitor');
    const route = url.pathname;
    const done = (status: number) => telemetry.inc('spillway_requests_total', { route, status: String(status) });
    if (route === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: `the monitor is read-only; ${req.method} ${route} is not served` });
      return;
    }
    const file = files.get(route === '/index.html' ? '/' : route);
    if (file) {
      res.writeHead(200, { 'content-type': file[0], 'content-length': file[1].length, 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : file[1]);
      done(200);
      return;
    }
    if (auth && auth.agentFor(req.headers.authorization) === undefined) {
      res.setHeader('www-authenticate', 'Bearer');
      sendJson(res, 401, { error: 'expected Authorization: Bearer <monitor.token>' });
      return;
    }
    if (route === '/api/state') {
      const latest = sampler.latest();
      if (!latest) {
        sendJson(res, 503, { error: 'no sample yet; the first one is being taken' });
        return;
      }
      sendJson(res, 200, latest);
      done(200);
    } else if (route === '/api/history') {
      const raw = url.searchParams.get('seconds');
      let seconds: number | undefined;
      if (raw !== null) {
        seconds = Number(raw);
        if (!Number.isFinite(seconds) || seconds <= 0) {
          sendJson(res, 400, { error: `seconds: expected a positive number, found "${raw}"` });
          done(400);
          return;
        }
      }
      const points = sampler.history(seconds === undefined ? undefined : Math.min(seconds, maxSeconds));
      sendJson(res, 200, { intervalMs: sampler.intervalMs, historyMs: sampler.historyMs, points });
      done(200);
    } else if (route === '/api/plan') {
      sendJson(res, 200, sampler.model.plan);
      done(200);
    } else if (route === '/metrics') {
      telemetry.expose().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (err) => res.writeHead(500).end(String(err)),
      );
    } else {
      sendJson(res, 404, {
        error: `no route ${route}; try / (the dashboard), /api/state, /api/history, /api/plan, /metrics or /healthz`,
      });
    }
  });
  const host = config.monitor.listen.host;
  const port = options.port ?? config.monitor.listen.port;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  sampler.start();
  log.info({ url, intervalMs: sampler.intervalMs, historyMs: sampler.historyMs }, 'monitor listening');
  return {
    url,
    sampler,
    telemetry,
    reconfigure(next) {
      const before = lagKeys(current);
      current = next;
      auth = authOf(next);
      sampler.reconfigure(next);
      void forgetLag(telemetry, before, lagKeys(next));
    },
    async close() {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await sampler.close();
      log.info('monitor stopped');
    },
  };
}
