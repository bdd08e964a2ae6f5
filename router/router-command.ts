/** `spillway router --config FILE [--port N]`: run the fan-in gateway until SIGTERM / SIGINT. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { ConfigReloader, holdSighup } from '../config/reload.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { SpillwayError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { startRouter } from './service.ts';

export const ROUTER_HELP = `spillway router --config FILE [--port N] [--watch-config]

Runs the router: provisions the placement plan's topics, then accepts agent batches on
POST /v1/batches (NDJSON; gzip, zstd or identity; bearer token) and answers once Kafka
acknowledged them. Also /healthz, /readyz, /metrics. --port overrides router.listen.port.
SIGHUP reloads the config file, and so does any change of it with --watch-config: logIds,
their sinks, importance, quotas and level classes, tokens and body limits apply to the next
batch (new topics are created first); a file that fails validation, or that changes a key
read only at start (clusters, router.listen, timeouts, router.quota), is refused, logged, and
the router keeps its config. SIGTERM or SIGINT drains in-flight batches and exits.`;

export async function routerCommand(args: string[]): Promise<number> {
  let values: { config?: string; port?: string; help?: boolean; 'watch-config'?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        config: { type: 'string' },
        port: { type: 'string' },
        help: { type: 'boolean' },
        'watch-config': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `${(err as Error).message}; usage: spillway router --config FILE`);
  }
  if (values.help) {
    console.log(ROUTER_HELP);
    return 0;
  }
  if (!values.config) throw new SpillwayError('SPW_ERR_CLI_USAGE', 'router: --config FILE is required');
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new SpillwayError('SPW_ERR_CLI_USAGE', `--port: expected an integer 0..65535, found "${values.port}"`);
    }
  }
  // --port holds for every reload too.
  const transform = (c: SpillwayConfig): SpillwayConfig =>
    port === undefined ? c : { ...c, router: { ...c.router, listen: { ...c.router.listen, port } } };
  holdSighup();
  const config = transform(await loadConfig(values.config));
  const router = await startRouter(config);
  const reloader = new ConfigReloader({
    file: values.config,
    component: 'router',
    current: config,
    transform,
    apply: (next) => router.reconfigure(next),
    telemetry: router.telemetry,
    log: createLogger('router'),
    watch: values['watch-config'] === true,
  });
  await reloader.start();
  console.log(`router listening on ${router.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await reloader.stop();
  await router.close();
  return 0;
}
