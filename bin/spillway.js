#!/usr/bin/env node
// Entry point of the `spillway` command. The sources are TypeScript run by Node's own type
// stripping (Node >= 22.18; the project needs >= 22.22), so there is no build step.
//
// Run by an older node (a machine's Node 20 first on PATH), it re-runs itself with the
// project's Node in .spillway/node when scripts/setup.sh has installed it there, and
// otherwise names the one command that installs it and runs this. Plain JavaScript that
// older nodes parse, with nothing imported before the check.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Keep in step with package.json "engines" and SPW_NODE_MIN in scripts/node-env.sh (a unit test checks). */
const NODE_MIN = [22, 22];

/**
 * The agent runs next to the services it serves, so its memory is the host's. V8 sizes its
 * young generation from the machine's RAM (two 64 MiB semi-spaces on a 24 GiB host: most of
 * the agent's RSS under load), and glibc keeps a malloc arena per thread. So the agent
 * re-executes itself in place (process.execve: same pid, no wrapper process) with 16 MiB
 * semi-spaces and two arenas. Measured with the router down under a full-speed flood
 * (bench/agent.ts, docs/benchmarks.md): RSS about 200 MiB instead of 305-336, the same
 * throughput; smaller semi-spaces saved no more RSS and cost throughput. Flags or variables
 * the operator set win; any SPW_AGENT_TUNED value turns this off.
 */
const AGENT_SEMI_SPACE_MB = 16;
const AGENT_MALLOC_ARENAS = 2;

function tuneAgentProcess() {
  if (process.argv[2] !== 'agent' || process.env.SPW_AGENT_TUNED !== undefined) return;
  if (typeof process.execve !== 'function') return;
  const chosen = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const flags = chosen.some((f) => /^--max[-_]semi[-_]space[-_]size/.test(f))
    ? []
    : [`--max-semi-space-size=${AGENT_SEMI_SPACE_MB}`];
  const env = { ...process.env, SPW_AGENT_TUNED: '1' };
  env.MALLOC_ARENA_MAX ??= String(AGENT_MALLOC_ARENAS);
  // process.execve (experimental in Node 24) replaces the process before its warning would
  // print; a failure to exec aborts the process rather than throwing, which with Node's own
  // executable path does not happen in practice.
  process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, ...process.argv.slice(1)], env);
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1])) {
  tuneAgentProcess();
  const { main } = await import('../cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} else {
  const self = fileURLToPath(import.meta.url);
  const root = path.resolve(path.dirname(self), '..');
  const projectNode = path.join(root, '.spillway', 'node', 'bin', 'node');
  if (existsSync(projectNode) && path.resolve(process.execPath) !== projectNode) {
    reexec(projectNode, self);
  } else {
    process.stderr.write(`${tooOld(root)}\n`);
    process.exit(2);
  }
}

/** Runs this file again with `node`: same arguments, stdio and environment; exits as it exits. */
function reexec(node, file) {
  const child = spawn(node, [...process.execArgv, file, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child directly (same process group): passing SIGINT on too would make
  // it a second one, which the components take as "stop now". Other signals are passed on.
  const onInt = () => {};
  process.on('SIGINT', onInt);
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (err) => {
    process.stderr.write(`spillway: cannot run ${node}: ${err.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    process.exit(code ?? 1);
  });
}

/** The message for a node that is too old when the project's Node is not installed yet. */
function tooOld(root) {
  const found = `Node.js ${process.versions.node} (${process.execPath})`;
  const need = `spillway needs Node.js >= ${NODE_MIN.join('.')}; this is ${found}.`;
  if (path.resolve(process.cwd()) === root) {
    const args = process.argv.slice(2).map(shellQuote).join(' ');
    return `${need}\nRun it through npm instead, which installs Node 24 into .spillway/node the first time (under a minute) and then uses it:\n  npm run spillway${args ? ` -- ${args}` : ''}`;
  }
  return `${need}\nInstall the project's Node 24 into ${path.join(root, '.spillway', 'node')} and its npm dependencies (once, under a minute); this command then uses them by itself:\n  bash ${shellQuote(path.join(root, 'scripts', 'setup.sh'))} node deps`;
}

function shellQuote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
