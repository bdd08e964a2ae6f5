/** `spillway router --config FILE [--port N]`: run the fan-in gateway until SIGTERM / SIGINT. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { SpillwayError } from '../core/errors.ts';
import { startRouter } from './service.ts';

export const ROUTER_HELP = `spillway router --config FILE [--port N]

Runs the router: provisions the placement plan's topics, then accepts agent batches on
POST /v1/batches (NDJSON; gzip, zstd or identity; bearer token) and answers once Kafka
acknowledged them. Also /healthz, /readyz, /metrics. --port overrides router.listen.port.
SIGTERM or SIGINT drains in-flight batches and exits.`;

export async function routerCommand(args: string[]): Promise<number> {
  let values: { config?: string; port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: { config: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' } },
    }));
  } catch (err) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', `${(err as Error).message}; usage: spillway router --config FILE`);
  }
  if (values.help) {
    console.log(ROUTER_HELP);
    return 0;
  }
  if (!values.config) throw new SpillwayError('SPW_ERR_CLI_USAGE', 'router: --config FILE is required');
  let config = await loadConfig(values.config);
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new SpillwayError('SPW_ERR_CLI_USAGE', `--port: expected an integer 0..65535, found "${values.port}"`);
    }
    config = { ...config, router: { ...config.router, listen: { ...config.router.listen, port } } };
  }
  const router = await startRouter(config);
  console.log(`router listening on ${router.url}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await router.close();
  return 0;
}
