/**
 * A small HTTP server for a component's /metrics, /healthz and /readyz, on 127.0.0.1 by
 * default. The router serves these on its own gateway port; sinks (and other components
 * without an HTTP face) start one of these on the port they are given.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpillwayError } from './errors.ts';
import type { Telemetry } from './telemetry.ts';

/** `--metrics-port N` of the agent and sink commands: an integer 0..65535 (0 picks a free port). */
export function metricsPortOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `--metrics-port: expected an integer 0..65535, found "${raw}"`);
  return port;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(
  telemetry: Telemetry,
  options: {
    host?: string;
    port: number;
    ready?: () => { ready: boolean; detail: Record<string, unknown> };
    /** What /metrics serves; default telemetry.expose() (the agent refreshes its counters first). */
    expose?: () => Promise<{ contentType: string; body: string }>;
  },
): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      (options.expose ?? (() => telemetry.expose()))().then(
        (m) => res.writeHead(200, { 'content-type': m.contentType }).end(m.body),
        (err) => res.writeHead(500).end(String(err)),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const r = options.ready?.() ?? { ready: true, detail: {} };
      res
        .writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ready: r.ready, ...r.detail }));
    } else {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: `no route ${path}; try /metrics` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
