/**
 * The agent's live config reload (issue #14): inputs added, removed and changed without
 * disturbing the others, a rotated token, refusals that leave the agent on its config, a
 * failed apply that leaves everything as it was, --watch-config, and SIGHUP to the real
 * `spillway agent` process.
 *
 * The router is a stand-in on loopback speaking the uplink protocol (ours; no Kafka behind
 * it, as in test/unit/agent/shipper.test.ts): it records each batch's Authorization header
 * and its lines, which is what these tests are about.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type AgentRun, runAgent } from '../../agent/agent-command.ts';
import { stackClusterSections } from './helpers/kafka.ts';
import { capture } from './helpers/logs.ts';
import { scratch } from './helpers/scratch.ts';

const OLD_TOKEN = 'it-reload-old-token-0123456789';
const NEW_TOKEN = 'it-reload-new-token-9876543210';
const repo = path.join(import.meta.dirname, '../..');
const { tempDir, opened: open } = scratch('spw-it-reload-');

interface Batch {
  auth: string | undefined;
  lines: Record<string, unknown>[];
}

/** The stand-in router: 200 for every batch, each one recorded as it arrived. */
async function standInRouter() {
  const batches: Batch[] = [];
  const server = http.createServer((req, res) => {
    const auth = req.headers.authorization;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const enc = req.headers['content-encoding'];
      const body = enc === 'zstd' ? zlib.zstdDecompressSync(raw) : enc === 'gzip' ? zlib.gunzipSync(raw) : raw;
      const lines = body
        .toString()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      batches.push({ auth, lines });
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: lines.length, rejected: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    batches,
    /** Every line received with this logId, in arrival order. */
    linesOf: (logId: string) => batches.flatMap((b) => b.lines).filter((l) => l.logId === logId),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const LOG_IDS = ['tcp-a', 'tcp-b', 'tcp-c', 'tcp-d', 'file-old', 'file-new', 'unknown'];

type Input = Record<string, unknown>;

/** A whole config file's document: the agent's inputs and token, a spool of its own. */
function document(dir: string, routerUrl: string, inputs: Input[], token = OLD_TOKEN, spool = 'spool') {
  return {
    ...stackClusterSections(),
    logIds: LOG_IDS.map((id) => ({ id, name: id, owner: 'it', importance: 'B', sinks: ['drop'] })),
    sinks: [{ type: 'blackhole', name: 'drop' }],
    agent: {
      inputs,
      uplink: {
        url: routerUrl,
        token,
        batch: { maxRecords: 50, lingerMs: 20 },
        requestTimeoutMs: 2_000,
        connectTimeoutMs: 1_000,
      },
      spool: { directory: path.join(dir, spool), fsync: 'never' },
    },
  };
}

/** Writes the config the way editors and ConfigMaps do: a new file renamed into place. */
function writeConfig(file: string, doc: unknown): void {
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
}

const tcp = (name: string, port = 0): Input => ({ type: 'tcp', name, listen: { port }, defaultLogId: `tcp-${name}` });

/** Sends lines on a fresh connection and closes it. */
function send(port: number, lines: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.end(`${lines.join('\n')}\n`));
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

/** Resolves with the connection error's code (ECONNREFUSED when nothing listens). */
function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(undefined);
    });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

const portOf = (run: AgentRun, name: string) => run.agent.inputs.find((i) => i.name === name)?.port;
const seqs = (lines: Record<string, unknown>[]) => lines.map((l) => l.seq as number);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A temp dir with the config in a directory of its own (what --watch-config watches) and a log dir. */
function setup() {
  const dir = tempDir();
  fs.mkdirSync(path.join(dir, 'conf'));
  fs.mkdirSync(path.join(dir, 'logs'));
  return { dir, file: path.join(dir, 'conf', 'agent.yaml'), logs: path.join(dir, 'logs') };
}

describe('agent live reload', () => {
  it('applies inputs, token and file logId live; an unchanged input keeps its connection and loses nothing', async () => {
    const router = await standInRouter();
    open.push(router);
    const { dir, file, logs } = setup();
    const fileInput = (logId: string): Input => ({
      type: 'file',
      name: 'f',
      include: [path.join(logs, '*.log')],
      startAt: 'beginning',
      defaultLogId: logId,
    });
    writeConfig(file, document(dir, router.url, [tcp('a'), tcp('b'), fileInput('file-old')]));
    const { log, lines: logLines } = capture({ component: 'agent' });
    const run = await runAgent(file, { logger: log });
    open.push(run);
    const portA = portOf(run, 'a')!;
    const portB = portOf(run, 'b')!;
    const appLog = path.join(logs, 'app.log');
    const fileLines = (from: number, to: number) =>
      fs.appendFileSync(
        appLog,
        range(from, to)
          .map((seq) => `${JSON.stringify({ msg: 'file', seq })}\n`)
          .join(''),
      );

    // A stays connected through the reload, writing a line every 5 ms.
    const clientA = net.connect(portA, '127.0.0.1');
    await new Promise<void>((r) => clientA.once('connect', () => r()));
    let closedEarly = false;
    clientA.on('close', () => {
      closedEarly = true;
    });
    let sent = 0;
    let streaming = true;
    const streamA = (async () => {
      while (streaming) {
        clientA.write(`${JSON.stringify({ msg: 'a', seq: sent++ })}\n`);
        await sleep(5);
      }
    })();
    fileLines(0, 20);
    await expect.poll(() => router.linesOf('file-old').length, { timeout: 10_000 }).toBe(20);
    await expect.poll(() => router.linesOf('tcp-a').length, { timeout: 10_000 }).toBeGreaterThan(20);

    // B removed, C added, the file input's defaultLogId changed, the token rotated.
    writeConfig(file, document(dir, router.url, [tcp('a'), tcp('c'), fileInput('file-new')], NEW_TOKEN));
    const outcome = await run.reloader.reload();
    expect(outcome).toEqual({
      result: 'applied',
      changed: ['agent.inputs[b]', 'agent.inputs[c]', 'agent.inputs[f].defaultLogId', 'agent.uplink.token'],
    });
    expect(run.agent.inputs.map((i) => i.name)).toEqual(['a', 'c', 'f']);
    expect(portOf(run, 'a')).toBe(portA);

    fileLines(20, 40);
    await send(
      portOf(run, 'c')!,
      range(0, 10).map((seq) => JSON.stringify({ msg: 'c', seq })),
    );
    expect(await connectError(portB)).toBe('ECONNREFUSED');
    await sleep(200);
    streaming = false;
    await streamA;
    expect(closedEarly).toBe(false);
    clientA.end();
    await new Promise((r) => clientA.once('close', r));

    // A: every line once, in order.
    await expect.poll(() => router.linesOf('tcp-a').length, { timeout: 10_000 }).toBe(sent);
    expect(seqs(router.linesOf('tcp-a'))).toEqual(range(0, sent));
    // C: took its lines.
    await expect.poll(() => seqs(router.linesOf('tcp-c')), { timeout: 10_000 }).toEqual(range(0, 10));
    // The file: the lines after the reload under the new logId, none read twice.
    await expect.poll(() => router.linesOf('file-new').length, { timeout: 10_000 }).toBe(20);
    await sleep(300);
    expect(seqs(router.linesOf('file-old'))).toEqual(range(0, 20));
    expect(seqs(router.linesOf('file-new'))).toEqual(range(20, 40));
    // The token: once the new one is used, the old one never again; the last batches carry it.
    const auths = router.batches.map((b) => b.auth);
    const firstNew = auths.indexOf(`Bearer ${NEW_TOKEN}`);
    expect(firstNew).toBeGreaterThan(0);
    expect(auths.slice(0, firstNew).every((a) => a === `Bearer ${OLD_TOKEN}`)).toBe(true);
    expect(auths.slice(firstNew).every((a) => a === `Bearer ${NEW_TOKEN}`)).toBe(true);

    const t = run.agent.telemetry;
    expect(await t.value('spillway_config_reloads_total', { result: 'applied' })).toBe(1);
    expect(await t.value('spillway_config_reloads_total')).toBe(1);
    expect(await t.value('spillway_config_last_reload_successful')).toBe(1);
    expect(logLines.filter((l) => l.msg === 'config reloaded')).toMatchObject([
      { level: 30, result: 'applied', trigger: 'api' },
    ]);
    expect(logLines.filter((l) => l.msg === 'agent: new config applied')).toMatchObject([
      { added: ['c'], removed: ['b'], restarted: ['f'] },
    ]);
  });

  it('refuses a broken file and a restart-only change, logged and counted, and keeps serving on its config', async () => {
    const router = await standInRouter();
    open.push(router);
    const { dir, file } = setup();
    const good = document(dir, router.url, [tcp('a')]);
    writeConfig(file, good);
    const { log, lines: logLines } = capture({ component: 'agent' });
    const run = await runAgent(file, { logger: log });
    open.push(run);
    const t = run.agent.telemetry;
    const portA = portOf(run, 'a')!;

    fs.writeFileSync(file, 'agent:\n  inputs: [unclosed\n');
    const yaml = await run.reloader.reload();
    expect(yaml.result).toBe('invalid');
    expect(yaml.error).toBe(
      `${file}:3:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] [SPW_ERR_CONFIG_READ]`,
    );
    expect(await t.value('spillway_config_last_reload_successful')).toBe(0);

    writeConfig(file, document(dir, router.url, [{ ...tcp('a'), listen: { port: 70_000 } }]));
    const value = await run.reloader.reload();
    expect(value.result).toBe('invalid');
    expect(value.error).toBe(
      `${file}: 1 problem\nagent.inputs[0].listen.port: expected at most 65535, found 70000 [SPW_ERR_CONFIG_INVALID]`,
    );

    // Still on the old config: A takes lines.
    await send(
      portA,
      range(0, 5).map((seq) => JSON.stringify({ seq })),
    );
    await expect.poll(() => seqs(router.linesOf('tcp-a')), { timeout: 10_000 }).toEqual(range(0, 5));
    expect(await t.value('spillway_config_reloads_total', { result: 'invalid' })).toBe(2);
    expect(await t.value('spillway_config_last_reload_successful')).toBe(0);

    writeConfig(file, document(dir, router.url, [tcp('a')], OLD_TOKEN, 'another-spool'));
    const restart = await run.reloader.reload();
    expect(restart).toMatchObject({
      result: 'restart-required',
      changed: ['agent.spool.directory'],
      restart: [{ path: 'agent.spool.directory', why: 'the spool directory is opened and sized at start' }],
      error:
        'agent.spool.directory changed: restart the agent to apply it (the spool directory is opened and sized at start)',
    });
    expect(await t.value('spillway_config_reloads_total', { result: 'restart-required' })).toBe(1);
    expect(await t.value('spillway_config_last_reload_successful')).toBe(0);
    expect(run.agent.config.agent.spool.directory).toBe(path.join(dir, 'spool'));
    const refusals = logLines.filter((l) => l.msg === 'config reload refused; still running on the previous config');
    expect(refusals.map((l) => [l.level, l.result])).toEqual([
      [50, 'invalid'],
      [50, 'invalid'],
      [50, 'restart-required'],
    ]);
    expect(refusals[2]!.err).toMatch(/^agent\.spool\.directory changed: restart the agent/);

    // Back to the file it runs on: nothing to change, and the gauge says all is well again.
    writeConfig(file, good);
    expect((await run.reloader.reload()).result).toBe('unchanged');
    expect(await t.value('spillway_config_last_reload_successful')).toBe(1);
  });

  it('a failed apply (a new input on a port already taken) leaves inputs and token as they were', async () => {
    const router = await standInRouter();
    open.push(router);
    const { dir, file } = setup();
    writeConfig(file, document(dir, router.url, [tcp('a'), tcp('b')]));
    const run = await runAgent(file, { logger: capture({ component: 'agent' }).log });
    open.push(run);
    const portA = portOf(run, 'a')!;
    const portB = portOf(run, 'b')!;
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => taken.close(() => r())) });
    const takenPort = (taken.address() as AddressInfo).port;

    // B removed, C on the taken port, the token rotated: none of it may happen.
    writeConfig(file, document(dir, router.url, [tcp('a'), tcp('c', takenPort)], NEW_TOKEN));
    const outcome = await run.reloader.reload();
    expect(outcome.result).toBe('failed');
    expect(outcome.error).toMatch(/EADDRINUSE/);
    expect(run.agent.inputs.map((i) => [i.name, i.port])).toEqual([
      ['a', portA],
      ['b', portB],
    ]);
    await send(portA, [JSON.stringify({ seq: 0 })]);
    await send(portB, [JSON.stringify({ seq: 0 })]);
    await expect.poll(() => router.linesOf('tcp-a').length + router.linesOf('tcp-b').length).toBe(2);
    expect(router.batches.every((b) => b.auth === `Bearer ${OLD_TOKEN}`)).toBe(true);
    expect(run.agent.config.agent.uplink.token).toBe(OLD_TOKEN);
    const t = run.agent.telemetry;
    expect(await t.value('spillway_config_reloads_total', { result: 'failed' })).toBe(1);
    expect(await t.value('spillway_config_last_reload_successful')).toBe(0);
  });

  it('an input changed on the same port is restarted there: its connection is closed after its lines, new ones get the new config', async () => {
    const router = await standInRouter();
    open.push(router);
    const { dir, file } = setup();
    const [port] = (await freePorts(1)) as [number];
    writeConfig(file, document(dir, router.url, [tcp('a', port)]));
    const run = await runAgent(file, { logger: capture({ component: 'agent' }).log });
    open.push(run);
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.on('error', () => {});
    client.write(
      `${range(0, 3)
        .map((seq) => JSON.stringify({ seq }))
        .join('\n')}\n`,
    );
    await expect.poll(() => router.linesOf('tcp-a').length, { timeout: 10_000 }).toBe(3);

    writeConfig(file, document(dir, router.url, [{ ...tcp('a', port), defaultLogId: 'tcp-b' }]));
    expect(await run.reloader.reload()).toEqual({ result: 'applied', changed: ['agent.inputs[a].defaultLogId'] });
    await closed;
    expect(portOf(run, 'a')).toBe(port);
    await send(port, [JSON.stringify({ seq: 3 })]);
    await expect.poll(() => seqs(router.linesOf('tcp-b')), { timeout: 10_000 }).toEqual([3]);
    expect(seqs(router.linesOf('tcp-a'))).toEqual([0, 1, 2]);
  });

  it('--watch-config: a file renamed into place is picked up', async () => {
    const router = await standInRouter();
    open.push(router);
    const { dir, file } = setup();
    writeConfig(file, document(dir, router.url, [tcp('a')]));
    const run = await runAgent(file, { logger: capture({ component: 'agent' }).log, watch: true });
    open.push(run);
    writeConfig(file, document(dir, router.url, [tcp('a'), tcp('d')]));
    await expect.poll(() => run.agent.inputs.map((i) => i.name), { timeout: 10_000 }).toEqual(['a', 'd']);
    await send(portOf(run, 'd')!, [JSON.stringify({ seq: 7 })]);
    await expect.poll(() => seqs(router.linesOf('tcp-d')), { timeout: 10_000 }).toEqual([7]);
    expect(await run.agent.telemetry.value('spillway_config_reloads_total', { result: 'applied' })).toBe(1);
  });

  it('SIGHUP to the spillway agent process starts the input the file gained', async () => {
    const router = await standInRouter();
    open.push(router);
    const { dir, file } = setup();
    const [portA, portD] = (await freePorts(2)) as [number, number];
    writeConfig(file, document(dir, router.url, [tcp('a', portA)]));
    const child = spawn(process.execPath, ['bin/spillway.js', 'agent', '--config', file], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await expect.poll(() => connectError(portA), { timeout: 20_000, interval: 100 }).toBeUndefined();
      expect(await connectError(portD)).toBe('ECONNREFUSED');
      writeConfig(file, document(dir, router.url, [tcp('a', portA), tcp('d', portD)]));
      child.kill('SIGHUP');
      await expect.poll(() => connectError(portD), { timeout: 10_000, interval: 100 }).toBeUndefined();
      await send(portD, [JSON.stringify({ seq: 1 })]);
      await send(portA, [JSON.stringify({ seq: 2 })]);
      await expect
        .poll(() => [seqs(router.linesOf('tcp-a')), seqs(router.linesOf('tcp-d'))], { timeout: 10_000 })
        .toEqual([[2], [1]]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });
});

/** Ports free right now (bound to 0, read, released). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: n }, async () => {
      const s = net.createServer();
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      return s;
    }),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}
