/**
 * Where the local stack lives on disk and which ports it uses.
 *
 * Everything a stack writes (data, logs, pid state) goes under `<checkout>/.spillway/stack`
 * (git-ignored), so two checkouts never share state. Ports come from the defaults below,
 * shifted by SPW_STACK_PORT_OFFSET, or set one by one with the SPW_STACK_*_PORT variables.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this code runs from: stack/lib/ is two levels below it. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const STACK_DIR = process.env.SPW_STACK_DIR ?? path.join(PROJECT_ROOT, '.spillway', 'stack');
export const STATE_FILE = path.join(STACK_DIR, 'state.json');
export const MAVEN_POM = path.join(PROJECT_ROOT, 'stack', 'pom.xml');
export const KAFKA_LIB = path.join(PROJECT_ROOT, 'stack', 'kafka', 'target', 'lib');
export const OPENSEARCH_LIB = path.join(PROJECT_ROOT, 'stack', 'opensearch', 'target', 'lib');
export const OPENSEARCH_JAR = path.join(
  PROJECT_ROOT,
  'stack',
  'opensearch',
  'target',
  'spillway-stack-opensearch-0.1.0.jar',
);

/** Default ports: 19xxx for the main cluster and search, 29xxx for the aux cluster; none collide with the machine's own services. */
export const DEFAULT_PORTS = {
  kafkaMain: 19092,
  kafkaMainController: 19093,
  kafkaAux: 29092,
  kafkaAuxController: 29093,
  search: 19200,
  searchTransport: 19300,
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;
export type Ports = Record<PortName, number>;

const PORT_ENV: Record<PortName, string> = {
  kafkaMain: 'SPW_STACK_KAFKA_MAIN_PORT',
  kafkaMainController: 'SPW_STACK_KAFKA_MAIN_CONTROLLER_PORT',
  kafkaAux: 'SPW_STACK_KAFKA_AUX_PORT',
  kafkaAuxController: 'SPW_STACK_KAFKA_AUX_CONTROLLER_PORT',
  search: 'SPW_STACK_SEARCH_PORT',
  searchTransport: 'SPW_STACK_SEARCH_TRANSPORT_PORT',
};

function parsePort(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1024 || n > 65535) {
    throw new Error(`${name}: expected an integer port in 1024..65535, found "${raw}"`);
  }
  return n;
}

/** Ports for this run: defaults + offset, each overridable by its own variable. */
export function resolvePorts(env: NodeJS.ProcessEnv = process.env, offset?: number): Ports {
  const off = offset ?? (env.SPW_STACK_PORT_OFFSET ? Number(env.SPW_STACK_PORT_OFFSET) : 0);
  if (!Number.isInteger(off) || off < 0 || off > 10_000) {
    throw new Error(`SPW_STACK_PORT_OFFSET: expected an integer in 0..10000, found "${env.SPW_STACK_PORT_OFFSET}"`);
  }
  const ports = {} as Ports;
  for (const key of Object.keys(DEFAULT_PORTS) as PortName[]) {
    const raw = env[PORT_ENV[key]];
    ports[key] = raw ? parsePort(PORT_ENV[key], raw) : DEFAULT_PORTS[key] + off;
  }
  return ports;
}
