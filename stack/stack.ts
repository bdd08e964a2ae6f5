/**
 * `spillway stack up | down | status`: the local Kafka x2 + OpenSearch stack, from Maven
 * Central jars, bound to 127.0.0.1. See docs/decisions.md ("Local stack") for why it is
 * built this way and docs/stack.md for the knobs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpillwayError } from '../core/errors.ts';
import { type PortName, type Ports, resolvePorts, STACK_DIR, STATE_FILE } from './lib/layout.ts';
import { isOurProcess, portInUse, readState, spawnDetached, stopPid, tailFile, writeState } from './lib/processes.ts';
import { SERVICES, type Service, serviceDir, stackServices } from './lib/services.ts';
import { checkJava, fetchJars } from './lib/tools.ts';

/** First start on 2 slow cores takes ~30-60 s (OpenSearch loads ~90 jars); 240 s leaves room for a loaded CI box. */
export const READY_TIMEOUT_MS = 240_000;
/** How often readiness is polled. */
export const READY_POLL_MS = 500;
/** SIGTERM grace before SIGKILL: Kafka's controlled shutdown normally takes 1-5 s. */
export const STOP_GRACE_MS = 30_000;
/** With --auto-ports, offsets tried (in steps) when the default ports belong to another stack. */
export const AUTO_PORT_STEP = 100;
export const AUTO_PORT_TRIES = 20;

type Print = (line: string) => void;

export interface ServiceStatus {
  name: string;
  pid?: number;
  running: boolean;
  ready: boolean;
}

function alive(service: Service, state = readState()): number | undefined {
  const pid = state?.services[service.name]?.pid;
  return pid !== undefined && isOurProcess(pid) ? pid : undefined;
}

async function takenPorts(ports: Ports, services: readonly Service[]): Promise<{ key: PortName; port: number }[]> {
  const taken: { key: PortName; port: number }[] = [];
  for (const s of services) {
    for (const key of s.ports) {
      if (await portInUse(ports[key])) taken.push({ key, port: ports[key] });
    }
  }
  return taken;
}

async function choosePorts(toStart: readonly Service[], autoPorts: boolean, print: Print): Promise<Ports> {
  const base = resolvePorts();
  let taken = await takenPorts(base, toStart);
  if (taken.length === 0) return base;
  if (!autoPorts) {
    const list = taken.map((t) => `${t.port} (${t.key})`).join(', ');
    throw new SpillwayError(
      'SPW_ERR_STACK_PORT_TAKEN',
      `port ${list} already in use by a process this checkout (${STACK_DIR}) did not start — probably a stack from another checkout; stop it there with \`spillway stack down\`, or rerun with --auto-ports or SPW_STACK_PORT_OFFSET=${AUTO_PORT_STEP}`,
    );
  }
  for (let i = 1; i <= AUTO_PORT_TRIES; i++) {
    const ports = resolvePorts(process.env, i * AUTO_PORT_STEP);
    taken = await takenPorts(ports, toStart);
    if (taken.length === 0) {
      print(`# default ports are taken by another stack; using port offset +${i * AUTO_PORT_STEP}`);
      return ports;
    }
  }
  throw new SpillwayError(
    'SPW_ERR_STACK_PORT_TAKEN',
    `no free port set found after ${AUTO_PORT_TRIES} offsets of ${AUTO_PORT_STEP}`,
  );
}

async function waitReady(service: Service, ports: Ports, pid: number, startedAt: number): Promise<void> {
  const logFile = path.join(serviceDir(service.name), 'process.log');
  let reason: string | undefined;
  while (Date.now() - startedAt < READY_TIMEOUT_MS) {
    if (!isOurProcess(pid)) {
      throw new SpillwayError(
        'SPW_ERR_STACK_START',
        `${service.name} exited during start-up; last lines of ${logFile}:\n${tailFile(logFile)}`,
      );
    }
    reason = await service.notReady(ports);
    if (reason === undefined) return;
    await sleep(READY_POLL_MS);
  }
  // The probe's last error says whether the service or the probe is at fault (a client that
  // cannot run on this Node fails every probe against a healthy broker).
  throw new SpillwayError(
    'SPW_ERR_STACK_START',
    `${service.name} not ready after ${READY_TIMEOUT_MS / 1000} s; last probe: ${reason ?? 'none ran'}; last lines of ${logFile}:\n${tailFile(logFile)}`,
  );
}

export interface UpOptions {
  autoPorts?: boolean;
  /** Run the aux cluster's listener as SASL_SSL (docs/operations.md, "Securing Kafka"). */
  secureAux?: boolean;
  print?: Print;
}

/** Starts whatever is not running; a no-op when everything is already up. */
export async function stackUp(options: UpOptions = {}): Promise<Ports> {
  const print = options.print ?? ((l: string) => console.log(l));
  const java = checkJava();
  fetchJars({ print });
  const state = readState();
  const auxRunning = alive(SERVICES[1]!, state) !== undefined;
  const wasSecure = state?.secureAux ?? false;
  if (options.secureAux && auxRunning && !wasSecure) {
    throw new SpillwayError(
      'SPW_ERR_CLI_USAGE',
      `stack up --secure-aux: kafka-aux is already running with a PLAINTEXT listener (pid ${alive(SERVICES[1]!, state)}); it cannot change while running: stop this checkout's stack first (spillway stack down)`,
    );
  }
  // A secured aux stays secured until `down`, whether or not later `up`s repeat the flag.
  const secureAux = (options.secureAux ?? false) || wasSecure;
  const services = stackServices(secureAux);
  const running = services.filter((s) => alive(s, state) !== undefined);
  const toStart = services.filter((s) => !running.includes(s));
  // Services still running keep the ports they were started with; only a cold start chooses.
  const ports =
    state && running.length > 0 ? state.ports : await choosePorts(toStart, options.autoPorts ?? false, print);
  if (state && running.length > 0 && toStart.length > 0) {
    const taken = await takenPorts(ports, toStart);
    if (taken.length > 0) {
      throw new SpillwayError(
        'SPW_ERR_STACK_PORT_TAKEN',
        `cannot restart ${toStart.map((s) => s.name).join(', ')}: port ${taken.map((t) => t.port).join(', ')} taken by another process`,
      );
    }
  }
  for (const s of running) print(`# ${s.name}: already running (pid ${alive(s, state)})`);
  const next = { ports, services: { ...(state?.services ?? {}) }, ...(secureAux ? { secureAux } : {}) };
  for (const s of toStart) delete next.services[s.name];
  const started: { service: Service; pid: number; at: number }[] = [];
  for (const s of toStart) {
    s.prepare(java, ports);
    const logFile = path.join(serviceDir(s.name), 'process.log');
    const [cmd, ...args] = s.command(java, ports);
    const at = Date.now();
    const pid = spawnDetached(cmd!, args, logFile, serviceDir(s.name));
    next.services[s.name] = { pid, startedAt: new Date(at).toISOString(), logFile };
    writeState(next);
    started.push({ service: s, pid, at });
    print(`# ${s.name}: starting (pid ${pid}, log ${logFile})`);
  }
  await Promise.all(
    started.map(async ({ service, pid, at }) => {
      await waitReady(service, ports, pid, at);
      print(`# ${service.name}: ready in ${((Date.now() - at) / 1000).toFixed(1)} s`);
    }),
  );
  // Services that were already running are probed too: "up" promises a ready stack.
  await Promise.all(running.map((s) => waitReady(s, ports, alive(s)!, Date.now())));
  for (const s of services) for (const line of s.envLines(ports)) print(line);
  return ports;
}

/** Stops exactly the processes this checkout started (by pid). `purge` also deletes their data. */
export async function stackDown(options: { purge?: boolean; print?: Print } = {}): Promise<void> {
  const print = options.print ?? ((l: string) => console.log(l));
  const state = readState();
  if (!state) {
    print('# stack: nothing to stop (no state file)');
  } else {
    await Promise.all(
      SERVICES.map(async (s) => {
        const pid = state.services[s.name]?.pid;
        if (pid === undefined) return;
        const how = await stopPid(pid, STOP_GRACE_MS);
        print(`# ${s.name}: ${how === 'gone' ? 'was not running' : how} (pid ${pid})`);
      }),
    );
    fs.rmSync(STATE_FILE, { force: true });
  }
  if (options.purge) {
    for (const s of SERVICES) fs.rmSync(serviceDir(s.name), { recursive: true, force: true });
    print(`# stack: data under ${STACK_DIR} deleted`);
  }
}

export async function stackStatus(): Promise<{ ports: Ports; services: ServiceStatus[] }> {
  const state = readState();
  const ports = state?.ports ?? resolvePorts();
  const services = await Promise.all(
    stackServices(state?.secureAux ?? false).map(async (s) => {
      const pid = alive(s, state);
      const ready = pid !== undefined && (await s.notReady(ports)) === undefined;
      return { name: s.name, pid, running: pid !== undefined, ready };
    }),
  );
  return { ports, services };
}

/**
 * Env lines for the running stack (bootstrap servers, search URL), as `stack status` prints
 * them; a secured aux adds its CA file, user and password file (never the password).
 */
export function stackEnvLines(ports: Ports, secureAux = readState()?.secureAux ?? false): string[] {
  return stackServices(secureAux).flatMap((s) => s.envLines(ports));
}

export async function stackCommand(args: string[], print: Print = (l) => console.log(l)): Promise<number> {
  const [sub, ...rest] = args;
  const flags = new Set(rest);
  const known: Record<string, string[]> = {
    up: ['--auto-ports', '--secure-aux'],
    down: ['--purge'],
    status: [],
    fetch: ['--force'],
  };
  if (!sub || !(sub in known) || sub === '--help') {
    print(STACK_HELP);
    return sub === '--help' || sub === undefined ? 0 : 2;
  }
  const unknown = rest.filter((f) => !known[sub]!.includes(f));
  if (unknown.length > 0) {
    throw new SpillwayError(
      'SPW_ERR_CLI_USAGE',
      `stack ${sub}: unknown option ${unknown.join(', ')}; see spillway stack --help`,
    );
  }
  switch (sub) {
    case 'up':
      await stackUp({
        autoPorts: flags.has('--auto-ports') || process.env.SPW_STACK_AUTO_PORTS === '1',
        secureAux: flags.has('--secure-aux'),
        print,
      });
      return 0;
    case 'down':
      await stackDown({ purge: flags.has('--purge'), print });
      return 0;
    case 'fetch':
      checkJava();
      fetchJars({ force: flags.has('--force'), print });
      print('# stack: jars ready under stack/*/target/lib');
      return 0;
    default: {
      const { ports, services } = await stackStatus();
      for (const s of services) {
        const state = s.ready ? 'up' : s.running ? 'starting' : 'down';
        print(`# ${s.name}: ${state}${s.pid ? ` (pid ${s.pid})` : ''}`);
      }
      for (const line of stackEnvLines(ports)) print(line);
      return services.every((s) => s.ready) ? 0 : 1;
    }
  }
}

export const STACK_HELP = `spillway stack <command>

The local stack: two single-node Kafka 4 clusters (KRaft) and one OpenSearch 2.19 node,
from Maven Central jars, on 127.0.0.1. State, data and logs live in ${path.relative(process.cwd(), STACK_DIR) || STACK_DIR}.

Commands:
  up [--auto-ports] [--secure-aux]
                      start what is not running and wait until ready (twice is a no-op);
                      --auto-ports picks free ports if another checkout's stack holds the defaults;
                      --secure-aux runs the aux cluster's listener as SASL_SSL: a CA and broker
                      certificate made on first start, user "spillway" (SCRAM-SHA-512 or PLAIN)
                      whose password is in the file status prints; stays secured until down
  down [--purge]      stop exactly the processes this checkout started; --purge deletes their data
  status              print each service's state, then env lines (SPW_KAFKA_MAIN=..., SPW_SEARCH_URL=...)
                      exit status 0 only when every service is up
  fetch [--force]     resolve the server jars with mvn (up does this when they are missing)

Environment:
  SPW_STACK_PORT_OFFSET      shift every default port (19092/19093, 29092/29093, 19200/19300)
  SPW_STACK_*_PORT           set one port (KAFKA_MAIN, KAFKA_MAIN_CONTROLLER, KAFKA_AUX, KAFKA_AUX_CONTROLLER, SEARCH, SEARCH_TRANSPORT)
  SPW_STACK_HEAP             JVM heap per process (default 512m)
  SPW_STACK_JAVA             java binary (default: java on PATH; needs 17..23)`;
