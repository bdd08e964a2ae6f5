/**
 * bin/spillway.js run by a Node older than the project needs, as on a machine whose own Node
 * is 20: it must re-run itself with the project's Node (.spillway/node) when that is
 * installed, and otherwise name the one command that installs it, never loop on advice that
 * does not help. The old Node is SPW_TEST_OLD_NODE or /usr/bin/node; these tests are skipped
 * (saying why) when neither is older than the project's minimum.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeTooOld, requiredNode } from '../../infra/node-version.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'spillway.js');

const oldNode = process.env.SPW_TEST_OLD_NODE ?? '/usr/bin/node';
const oldVersion = spawnSync(oldNode, ['--version'], { encoding: 'utf8' }).stdout?.trim().replace(/^v/, '') ?? '';
const isOld = oldVersion !== '' && nodeTooOld(oldVersion, requiredNode()) !== undefined;
if (!isOld) {
  console.log(
    `bin/spillway.js on an old Node: skipped: ${oldNode} is ${oldVersion || 'not there'}, not older than the minimum`,
  );
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A checkout with only bin/spillway.js (and what `extra` adds), for what the entry point does by itself. */
function fakeCheckout(extra: (root: string) => void = () => {}): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-bin-'));
  dirs.push(root);
  fs.mkdirSync(path.join(root, 'bin'));
  fs.copyFileSync(BIN, path.join(root, 'bin', 'spillway.js'));
  fs.writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
  extra(root);
  return root;
}

function runOld(args: string[], cwd: string, bin = 'bin/spillway.js') {
  return spawnSync(oldNode, [bin, ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
}

describe.runIf(isOld)(`bin/spillway.js on an old Node (${oldNode})`, () => {
  it('in this checkout, --help works, or names the one npm command that installs the Node and runs it', () => {
    const res = runOld(['--help'], ROOT);
    if (fs.existsSync(path.join(ROOT, '.spillway', 'node', 'bin', 'node'))) {
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      expect(res.stdout).toMatch(/^spillway — log transport over Kafka/);
    } else {
      expect(res.status).toBe(2);
      expect(res.stderr.trim().split('\n').at(-1)).toBe('  npm run spillway -- --help');
    }
  });

  it('without the project Node, in the checkout: names `npm run spillway -- ARGS`, quoted, and exits 2', () => {
    const root = fakeCheckout();
    const res = runOld(['config', 'check', 'my file.yaml'], root);
    expect(res.status).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toBe(
      [
        `spillway needs Node.js >= 22.22; this is Node.js ${oldVersion} (${oldNode}).`,
        'Run it through npm instead, which installs Node 24 into .spillway/node the first time (under a minute) and then uses it:',
        "  npm run spillway -- config check 'my file.yaml'",
        '',
      ].join('\n'),
    );
  });

  it('without the project Node, from another directory: names the setup command by its full path', () => {
    const root = fakeCheckout();
    const res = runOld(['--help'], os.tmpdir(), path.join(root, 'bin', 'spillway.js'));
    expect(res.status).toBe(2);
    expect(res.stderr.trim().split('\n').slice(1)).toEqual([
      `Install the project's Node 24 into ${root}/.spillway/node and its npm dependencies (once, under a minute); this command then uses them by itself:`,
      `  bash ${root}/scripts/setup.sh node deps`,
    ]);
  });

  it('with the project Node installed: re-runs itself with it, passing the arguments and the exit status', () => {
    // .spillway/node/bin/node is the Node running this test (>= the minimum), and cli/main.ts
    // a two-line stand-in that reports what it was run with.
    const root = fakeCheckout((r) => {
      fs.mkdirSync(path.join(r, '.spillway', 'node', 'bin'), { recursive: true });
      fs.symlinkSync(process.execPath, path.join(r, '.spillway', 'node', 'bin', 'node'));
      fs.mkdirSync(path.join(r, 'cli'));
      fs.writeFileSync(
        path.join(r, 'cli', 'main.ts'),
        'export async function main(args: string[]): Promise<number> {\n' +
          '  console.log(JSON.stringify({ node: process.versions.node, args }));\n' +
          '  return 3;\n' +
          '}\n',
      );
    });
    const res = runOld(['lag', '--config', 'a b.yaml'], root);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(3);
    expect(JSON.parse(res.stdout)).toEqual({ node: process.versions.node, args: ['lag', '--config', 'a b.yaml'] });
  });
});

describe('the minimum Node version', () => {
  it('is the same in package.json engines, scripts/node-env.sh and bin/spillway.js', () => {
    const [major, minor, patch] = requiredNode();
    const envSh = fs.readFileSync(path.join(ROOT, 'scripts', 'node-env.sh'), 'utf8');
    expect(/^SPW_NODE_MIN=(.*)$/m.exec(envSh)?.[1]).toBe(`${major}.${minor}.${patch}`);
    const bin = fs.readFileSync(BIN, 'utf8');
    expect(/^const NODE_MIN = \[(\d+), (\d+)\];$/m.exec(bin)?.slice(1).map(Number)).toEqual([major, minor]);
  });
});

describe('bin/spillway.js agent: memory settings for a process that lives next to the services', () => {
  /** Runs `spillway agent --stdin` on a config with no router; reads its flags and environment from /proc. */
  async function agentProcess(env: Record<string, string>) {
    const { spawn } = await import('node:child_process');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-bin-agent-'));
    dirs.push(dir);
    const config = path.join(dir, 'spillway.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        clusters: [{ name: 'main', brokers: ['127.0.0.1:1'] }],
        pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
        logIds: [{ id: 'unknown', name: 'unknown', owner: 'it', importance: 'C', sinks: ['drop'] }],
        sinks: [{ type: 'blackhole', name: 'drop' }],
        agent: { uplink: { url: 'http://127.0.0.1:1' }, spool: { directory: path.join(dir, 'spool') } },
      }),
    );
    const child = spawn(process.execPath, [BIN, 'agent', '--config', config, '--stdin', '--log-id', 'unknown'], {
      env: { ...process.env, SPW_LOG_LEVEL: 'info', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    // The agent is up once its spool directory exists; by then the re-exec (same pid) has happened.
    while (!fs.existsSync(path.join(dir, 'spool'))) await new Promise((r) => setTimeout(r, 50));
    const cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
    const environ = fs.readFileSync(`/proc/${child.pid}/environ`, 'utf8').split('\0');
    child.stdin.end('plain text line\n');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    return { cmdline, environ, code, out };
  }

  it('re-executes itself in place with 16 MiB semi-spaces and two malloc arenas', async () => {
    const p = await agentProcess({});
    expect(p.cmdline).toContain('--max-semi-space-size=16');
    expect(p.environ).toContain('MALLOC_ARENA_MAX=2');
    expect(p.code).toBe(0);
    // The line it read is settled (spooled: no router) and the stop summary says so.
    expect(p.out).toMatch(/"spooled":1,.*"msg":"agent stopped"/);
  }, 30_000);

  it('leaves settings the operator chose alone', async () => {
    const p = await agentProcess({ MALLOC_ARENA_MAX: '8', SPW_AGENT_TUNED: '0' });
    expect(p.cmdline.some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
    expect(p.environ).toContain('MALLOC_ARENA_MAX=8');
  }, 30_000);
});
