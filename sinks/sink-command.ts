/**
 * `spillway sink --config FILE [--name SINK]` runs one sink or all of a config's sinks
 * (each with its own consumer groups, producers and destination) until SIGTERM / SIGINT.
 * `spillway dlq replay --config FILE --sink NAME` moves a sink's dead letters back.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { ConfigReloader, holdSighup } from '../config/reload.ts';
import { SpillwayError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { type MetricsServer, metricsPortOption, startMetricsServer } from '../core/metrics-server.ts';
import { Telemetry } from '../core/telemetry.ts';
import { replayDeadLetters } from './runtime/dlq-replay.ts';
import { SinkSet } from './runtime/sink-set.ts';

export const SINK_HELP = `spillway sink --config FILE [--name SINK] [--metrics-port N [--metrics-host ADDR]] [--watch-config]

Runs the named sink (default: every sink in the config): its consumer group
spw.sink.<name> on every cluster carrying its logIds, and its gutter drainer
spw.gutter.<name>. SIGTERM or SIGINT stops fetching, finishes or spills what is in flight,
commits and exits. In production run one process per sink (--name): sinks in one process
share its CPU, so a sink busy spilling can slow the others. --metrics-port serves
/metrics, /healthz and /readyz on 127.0.0.1, or on --metrics-host (0.0.0.0 in a container,
so the monitor in another container can scrape it).
SIGHUP reloads the config file, and so does any change of it with --watch-config. Each sink
is handled alone: one whose logIds change takes the next record by the new config; one
whose settings or topics change finishes its in-flight writes, commits and restarts; one
whose logIds move to other topics first drains the old ones; sinks added or removed start
or stop; the others never notice. A file that fails validation or changes clusters is
refused and logged, and the sinks keep their config.`;

export const DLQ_HELP = `spillway dlq replay --config FILE --sink NAME

Moves the sink's dead letters (spw.dlq.<sink>) back into its gutter topic, after you fixed
what made them fail; the sink's gutter drainer then delivers them. Shows progress; an
interrupted replay resumes where it stopped.`;

function parse(
  args: string[],
  options: Record<string, { type: 'string' | 'boolean' }>,
  usage: string,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    return parseArgs({
      args,
      options: { ...options, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `${(err as Error).message}; usage: ${usage}`);
  }
}

export async function sinkCommand(args: string[]): Promise<number> {
  const { values } = parse(
    args,
    {
      config: { type: 'string' },
      name: { type: 'string' },
      'metrics-port': { type: 'string' },
      'metrics-host': { type: 'string' },
      'watch-config': { type: 'boolean' },
    },
    'spillway sink --config FILE [--name SINK] [--metrics-port N [--metrics-host ADDR]] [--watch-config]',
  );
  if (values.help) {
    console.log(SINK_HELP);
    return 0;
  }
  if (typeof values.config !== 'string')
    throw new SpillwayError('SPW_ERR_CLI_USAGE', 'sink: --config FILE is required');
  const port = metricsPortOption(values['metrics-port'] as string | undefined);
  const host = values['metrics-host'];
  if (host !== undefined && (typeof host !== 'string' || host === '' || port === undefined))
    throw new SpillwayError('SPW_ERR_CLI_USAGE', 'sink: --metrics-host ADDR goes with --metrics-port N');
  holdSighup();
  const config = await loadConfig(values.config);
  const names = typeof values.name === 'string' ? [values.name] : config.sinks.map((s) => s.name);
  const unknown = names.filter((n) => !config.sinks.some((s) => s.name === n));
  if (unknown.length > 0) {
    throw new SpillwayError(
      'SPW_ERR_CLI_USAGE',
      `sink: no sink named "${unknown[0]}"; the config has ${config.sinks.map((s) => s.name).join(', ')}`,
    );
  }
  const telemetry = new Telemetry('sink');
  const log = createLogger('sink');
  const sinks = new SinkSet(config, {
    telemetry,
    logger: log,
    ...(typeof values.name === 'string' ? { names: [values.name] } : {}),
  });
  await sinks.start();
  const reloader = new ConfigReloader({
    file: values.config,
    component: 'sink',
    current: config,
    apply: (next) => sinks.reconfigure(next),
    telemetry,
    log,
    watch: values['watch-config'] === true,
  });
  await reloader.start();
  let metrics: MetricsServer | undefined;
  if (port !== undefined) {
    metrics = await startMetricsServer(telemetry, {
      port,
      host,
      ready: () => ({
        ready: true,
        detail: {
          sinks: Object.fromEntries(
            sinks.running.map((s) => [s.name, s.main.breaker === 'closed' ? 'ok' : 'destination down']),
          ),
        },
      }),
    });
    console.log(`metrics on ${metrics.url}/metrics`);
  }
  console.log(`sinks running: ${names.join(', ')}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await reloader.stop();
  await sinks.close();
  await metrics?.close();
  return 0;
}

export async function dlqCommand(args: string[]): Promise<number> {
  const usage = 'spillway dlq replay --config FILE --sink NAME';
  const { values, positionals } = parse(args, { config: { type: 'string' }, sink: { type: 'string' } }, usage);
  if (values.help) {
    console.log(DLQ_HELP);
    return 0;
  }
  if (
    positionals[0] !== 'replay' ||
    positionals.length !== 1 ||
    typeof values.config !== 'string' ||
    typeof values.sink !== 'string'
  ) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `usage: ${usage}`);
  }
  const config = await loadConfig(values.config);
  if (!config.sinks.some((s) => s.name === values.sink)) {
    throw new SpillwayError(
      'SPW_ERR_CLI_USAGE',
      `dlq: no sink named "${values.sink}"; the config has ${config.sinks.map((s) => s.name).join(', ')}`,
    );
  }
  const r = await replayDeadLetters(config, values.sink, { progress: true });
  console.log(
    `replayed ${r.replayed} dead letters of sink "${values.sink}" into its gutter${
      Object.keys(r.perCluster).length > 0
        ? ` (${Object.entries(r.perCluster)
            .map(([c, n]) => `${c}: ${n}`)
            .join(', ')})`
        : ''
    }`,
  );
  return 0;
}
