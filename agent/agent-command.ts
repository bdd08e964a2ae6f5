/** `spillway agent --config FILE [--stdin --log-id ID]`: run the edge agent until SIGTERM / SIGINT (or stdin ends). */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { SpillwayError } from '../core/errors.ts';
import { metricsPortOption } from '../core/metrics-server.ts';
import { startAgent } from './service.ts';

export const AGENT_HELP = `spillway agent --config FILE [--stdin --log-id ID] [--metrics-port N]

Runs the edge agent: its inputs (http: POST NDJSON to /v1/lines, as spillway/pino does;
stdin), batching, compression, the uplink to the router with retries and a client-side
throttle, and the disk spool that keeps batches across router outages and restarts.
--stdin reads lines from standard input (JSON objects as JSON, other lines as text) with
--log-id for lines without one, and exits once they are shipped or spooled:  some-service | spillway agent --config FILE --stdin --log-id 1234
Every http input also serves GET /metrics (Prometheus) and /healthz; --metrics-port N serves
them on 127.0.0.1:N too, for agents without an http input.`;

export async function agentCommand(args: string[]): Promise<number> {
  let values: { config?: string; stdin?: boolean; 'log-id'?: string; 'metrics-port'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string' },
        stdin: { type: 'boolean' },
        'log-id': { type: 'string' },
        'metrics-port': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new SpillwayError(
      'SPW_ERR_CLI_USAGE',
      `${(err as Error).message}; usage: spillway agent --config FILE [--stdin --log-id ID] [--metrics-port N]`,
    );
  }
  if (values.help) {
    console.log(AGENT_HELP);
    return 0;
  }
  if (!values.config) throw new SpillwayError('SPW_ERR_CLI_USAGE', 'agent: --config FILE is required');
  if (values['log-id'] !== undefined && !values.stdin)
    throw new SpillwayError('SPW_ERR_CLI_USAGE', 'agent: --log-id goes with --stdin');
  const metricsPort = metricsPortOption(values['metrics-port']);
  const config = await loadConfig(values.config);
  const agent = await startAgent(
    values.stdin
      ? {
          ...config,
          agent: { ...config.agent, inputs: [{ type: 'stdin', format: 'auto', defaultLogId: values['log-id'] }] },
        }
      : config,
    {
      ...(values.stdin ? { stdinLogId: values['log-id'] } : {}),
      ...(metricsPort === undefined ? {} : { metricsPort }),
    },
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    agent.stdinDone?.then(() => resolve());
  });
  await agent.close();
  return 0;
}
