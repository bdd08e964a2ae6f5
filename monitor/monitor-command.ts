/**
 * `spillway monitor --config FILE [--port N]`: runs the monitor until SIGTERM / SIGINT.
 * `spillway lag --config FILE [--json] [--interval-ms N]`: samples lag once or twice and prints it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../config/load.ts';
import { ConfigReloader, holdSighup } from '../config/reload.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { SpillwayError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { LagSampler } from './sampler.ts';
import { startMonitor } from './service.ts';
import { renderLagTable } from './table.ts';

export const MONITOR_HELP = `spillway monitor --config FILE [--port N] [--watch-config]

Samples, every monitor.intervalMs on every cluster, the end offsets of every Spillway topic
and the committed offsets of every sink group (spw.sink.<sink>) and gutter drainer
(spw.gutter.<sink>); computes lag per sink, logId and topic; reads the /metrics of the
components in monitor.scrape (shedding, gutter flow, sink states); and serves on
monitor.listen: the dashboard at /, GET /api/state, /api/history?seconds=N, /api/plan,
/metrics (Prometheus), /healthz. With monitor.token set, the API and /metrics need
"Authorization: Bearer <token>" (open the dashboard as /#token=<token>).
--port overrides monitor.listen.port. SIGHUP reloads the config file, and so does any change
of it with --watch-config: the token, the scrape list, logIds, sinks and thresholds apply to
the next request and sample; a file that fails validation or changes clusters, listen,
intervalMs or historyMs is refused and logged. SIGTERM or SIGINT stops it.`;

export const LAG_HELP = `spillway lag --config FILE [--json] [--interval-ms N]

Prints each sink's lag (records and seconds) and state, in total and per logId. Two samples
--interval-ms apart (default 1000) give the consumption rate behind "lag seconds" and the
stalled state; --interval-ms 0 takes one sample (lag seconds unknown while lag > 0).
With monitor.scrape targets, agent inputs that refused lines (not JSON, no logId, too
long, …) get a table "Rejected input lines": per target and input, lines refused (total and
per second), accepted, and the reasons.
--json prints the report /api/state of \`spillway monitor\` serves.
States: healthy, lagging (over a logId's lagThresholdSec, default 60 s), stalled (lag > 0
and no progress between the samples), gutter-draining, unknown (cluster unreadable).`;

/** Default gap between the two samples of `spillway lag`: long enough for a sink to commit once. */
export const DEFAULT_LAG_INTERVAL_MS = 1_000;

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>, usage: string) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean' } }, strict: true }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (err) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `${(err as Error).message}; usage: ${usage}`);
  }
}

function intOption(name: string, raw: string | boolean | undefined, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isInteger(n) || n < 0 || n > max) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `--${name}: expected an integer 0..${max}, found "${raw}"`);
  }
  return n;
}

export async function monitorCommand(args: string[]): Promise<number> {
  const usage = 'spillway monitor --config FILE [--port N] [--watch-config]';
  const values = parse(
    args,
    { config: { type: 'string' }, port: { type: 'string' }, 'watch-config': { type: 'boolean' } },
    usage,
  );
  if (values.help) {
    console.log(MONITOR_HELP);
    return 0;
  }
  if (typeof values.config !== 'string')
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `monitor: --config FILE is required; usage: ${usage}`);
  const port = intOption('port', values.port, 65535);
  holdSighup();
  // --port holds for every reload too: the file's monitor.listen.port is then not in force.
  const transform = (c: SpillwayConfig): SpillwayConfig =>
    port === undefined ? c : { ...c, monitor: { ...c.monitor, listen: { ...c.monitor.listen, port } } };
  const config = transform(await loadConfig(values.config));
  const log = createLogger('monitor');
  const monitor = await startMonitor(config, { logger: log, ...(port === undefined ? {} : { port }) });
  const reloader = new ConfigReloader({
    file: values.config,
    component: 'monitor',
    current: config,
    transform,
    apply: async (next) => monitor.reconfigure(next),
    telemetry: monitor.telemetry,
    log,
    watch: values['watch-config'] === true,
  });
  await reloader.start();
  console.log(`monitor listening on ${monitor.url}; dashboard: ${monitor.url}/`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await reloader.stop();
  await monitor.close();
  return 0;
}

export async function lagCommand(args: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const usage = 'spillway lag --config FILE [--json] [--interval-ms N]';
  const values = parse(
    args,
    { config: { type: 'string' }, json: { type: 'boolean' }, 'interval-ms': { type: 'string' } },
    usage,
  );
  if (values.help) {
    console.log(LAG_HELP);
    return 0;
  }
  if (typeof values.config !== 'string')
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `lag: --config FILE is required; usage: ${usage}`);
  const gapMs = intOption('interval-ms', values['interval-ms'], 600_000) ?? DEFAULT_LAG_INTERVAL_MS;
  const config = await loadConfig(values.config);
  // Logs go to stderr: stdout carries the table or the JSON a script parses.
  const logger = pino({ level: process.env.SPW_LOG_LEVEL ?? 'warn' }, pino.destination(2)).child({ component: 'lag' });
  // A short history: this process keeps two samples at most.
  const sampler = new LagSampler(config, {
    intervalMs: Math.max(gapMs, 1),
    historyMs: Math.max(gapMs, 1) * 2,
    logger,
  });
  try {
    let report = await sampler.sample();
    if (gapMs > 0) {
      await sleep(gapMs);
      report = await sampler.sample();
    }
    out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderLagTable(report));
  } finally {
    await sampler.close();
  }
  return 0;
}
