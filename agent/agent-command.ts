/** `spillway agent --config FILE [--stdin --log-id ID] [--watch-config]`: run the edge agent until SIGTERM / SIGINT (or stdin ends). */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { ConfigReloader, holdSighup } from '../config/reload.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { SpillwayError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { metricsPortOption } from '../core/metrics-server.ts';
import { type RunningAgent, startAgent } from './service.ts';

const USAGE = 'spillway agent --config FILE [--stdin --log-id ID] [--metrics-port N] [--watch-config]';

export const AGENT_HELP = `${USAGE}

Runs the edge agent: its inputs (http: POST NDJSON to /v1/lines, as spillway/pino does;
stdin), batching, compression, the uplink to the router with retries and a client-side
throttle, and the disk spool that keeps batches across router outages and restarts.
--stdin reads lines from standard input (JSON objects as JSON, other lines as text) with
--log-id for lines without one, and exits once they are shipped or spooled:  some-service | spillway agent --config FILE --stdin --log-id 1234
Every http input also serves GET /metrics (Prometheus) and /healthz; --metrics-port N serves
them on 127.0.0.1:N too, for agents without an http input.

Live reload: on SIGHUP (kill -HUP <pid>), and with --watch-config whenever the file changes,
the agent reads the file again and applies agent.inputs (only the inputs that changed are
restarted), agent.uplink.token and the logIds (quotas) without a restart. A file that fails
validation, or that changes agent.spool, agent.origin or agent.uplink (other than the token),
is refused and logged at error; the agent keeps running on the config it has
(spillway_config_reloads_total{result}, spillway_config_last_reload_successful).
With --stdin, reloads keep stdin as the only input. See docs/agent.md#live-reload.`;

export interface AgentRunOptions {
  /** --stdin: read standard input as the only input, with this default logId. */
  stdin?: boolean;
  logId?: string | undefined;
  metricsPort?: number | undefined;
  /** --watch-config: reload when the file changes too (SIGHUP always reloads). */
  watch?: boolean;
  logger?: Logger;
}

export interface AgentRun {
  agent: RunningAgent;
  reloader: ConfigReloader;
  /** Stops reloading, then stops the agent (its lines settle, in the spool at the latest). */
  close(): Promise<void>;
}

/**
 * The agent on the config in `file`, reloaded on SIGHUP (and with `watch` when the file
 * changes): what `spillway agent` runs, for tests to run in-process.
 */
export async function runAgent(file: string, o: AgentRunOptions = {}): Promise<AgentRun> {
  const log = o.logger ?? createLogger('agent');
  // --stdin replaces the file's inputs, at start and at every reload (so only the token and
  // the logIds can change live in that mode).
  const transform = o.stdin
    ? (c: SpillwayConfig): SpillwayConfig => ({
        ...c,
        agent: { ...c.agent, inputs: [{ type: 'stdin', format: 'auto', defaultLogId: o.logId }] },
      })
    : undefined;
  holdSighup();
  const loaded = await loadConfig(file);
  const config = transform ? transform(loaded) : loaded;
  const agent = await startAgent(config, {
    logger: log,
    ...(o.stdin ? { stdinLogId: o.logId } : {}),
    ...(o.metricsPort === undefined ? {} : { metricsPort: o.metricsPort }),
  });
  const reloader = new ConfigReloader({
    file,
    component: 'agent',
    current: config,
    apply: (next) => agent.reconfigure(next),
    ...(transform ? { transform } : {}),
    telemetry: agent.telemetry,
    log,
    watch: o.watch ?? false,
  });
  try {
    await reloader.start();
  } catch (err) {
    await reloader.stop();
    await agent.close();
    throw err;
  }
  return {
    agent,
    reloader,
    async close() {
      await reloader.stop();
      await agent.close();
    },
  };
}

export async function agentCommand(args: string[]): Promise<number> {
  let values: {
    config?: string;
    stdin?: boolean;
    'log-id'?: string;
    'metrics-port'?: string;
    'watch-config'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string' },
        stdin: { type: 'boolean' },
        'log-id': { type: 'string' },
        'metrics-port': { type: 'string' },
        'watch-config': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `${(err as Error).message}; usage: ${USAGE}`);
  }
  if (values.help) {
    console.log(AGENT_HELP);
    return 0;
  }
  if (!values.config) throw new SpillwayError('SPW_ERR_CLI_USAGE', 'agent: --config FILE is required');
  if (values['log-id'] !== undefined && !values.stdin)
    throw new SpillwayError('SPW_ERR_CLI_USAGE', 'agent: --log-id goes with --stdin');
  const run = await runAgent(values.config, {
    stdin: values.stdin ?? false,
    logId: values['log-id'],
    metricsPort: metricsPortOption(values['metrics-port']),
    watch: values['watch-config'] ?? false,
  });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    run.agent.stdinDone?.then(() => resolve());
  });
  await run.close();
  return 0;
}
