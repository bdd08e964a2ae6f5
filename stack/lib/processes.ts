/**
 * Process bookkeeping for the local stack: a pid file per service in state.json, liveness
 * checks that cannot be fooled by pid reuse, and stop-by-pid.
 *
 * A pid counts as ours only while /proc/<pid>/cmdline still names this checkout's stack
 * directory; `down` therefore never signals a process another checkout (or the OS) owns.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Ports, STACK_DIR, STATE_FILE } from './layout.ts';

export interface ServiceState {
  pid: number;
  startedAt: string;
  logFile: string;
}

export interface StackState {
  ports: Ports;
  services: Record<string, ServiceState>;
  /** The aux cluster runs SASL_SSL (`stack up --secure-aux`); kept until `down`. */
  secureAux?: boolean;
}

export function readState(): StackState | undefined {
  try {
    return JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) as StackState;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function writeState(state: StackState): void {
  fs.mkdirSync(STACK_DIR, { recursive: true });
  const tmp = `${STATE_FILE}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`);
  fs.renameSync(tmp, STATE_FILE);
}

/** True if pid is alive and was started by this checkout's stack (its command line names STACK_DIR). */
export function isOurProcess(pid: number): boolean {
  try {
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(STACK_DIR);
  } catch {
    return false;
  }
}

/** Resolves true if something accepts TCP connections on 127.0.0.1:port. */
export function portInUse(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (inUse: boolean) => {
      socket.destroy();
      resolve(inUse);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Starts a detached JVM whose stdout/stderr go to logFile; returns its pid. */
export function spawnDetached(command: string, args: string[], logFile: string, cwd: string): number {
  const fd = fs.openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

/** SIGTERM, wait up to graceMs for exit, then SIGKILL. Only ever called on pids isOurProcess() vouched for. */
export async function stopPid(pid: number, graceMs: number): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isOurProcess(pid)) return 'gone';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isOurProcess(pid)) return 'stopped';
    await sleep(200);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  while (isOurProcess(pid)) await sleep(100);
  return 'killed';
}

/** The last `lines` lines of a log file, for error messages when a service dies at start. */
export function tailFile(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
