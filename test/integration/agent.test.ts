/**
 * The agent with the real router and Kafka: lines posted to its HTTP input (and a pino app
 * using spillway/pino) arrive in Kafka complete; with the router stopped, batches go to the
 * disk spool and drain in order once it is back, nothing lost.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunningAgent, startAgent } from '../../agent/service.ts';
import { validateConfig } from '../../config/load.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { parsePromText } from '../../monitor/scrape.ts';
import { criticalityOfRecord } from '../../router/placement.ts';
import { planPlacement } from '../../router/placement-plan.ts';
import { startRouter } from '../../router/service.ts';
import { clusters, stackClusterSections, waitFor } from './helpers/kafka.ts';
import { newRun, readTopic } from './helpers/pipeline.ts';
import { scratch } from './helpers/scratch.ts';

const TOKEN = 'it-agent-token-0123456789';
const { dirs, opened: open } = scratch('spw-it-agent-');

function config(run: string, routerPort: number, extraInputs: Record<string, unknown>[] = []): SpillwayConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-it-agent-'));
  dirs.push(dir);
  return validateConfig({
    ...stackClusterSections(),
    channels: { dedicatedPartitionsPerTopic: 2 },
    logIds: [
      { id: `ag-${run}`, name: 'ag', owner: 'it', importance: 'A', sinks: ['drop'], dedicated: true },
      { id: `pino-${run}`, name: 'pino', owner: 'it', importance: 'S', sinks: ['drop'], dedicated: true },
      { id: `sys-${run}`, name: 'syslog app', owner: 'it', importance: 'B', sinks: ['drop'], dedicated: true },
      { id: 'unknown', name: 'unknown', owner: 'it', importance: 'C', sinks: ['drop'] },
    ],
    sinks: [{ type: 'blackhole', name: 'drop' }],
    router: { listen: { port: routerPort }, tokens: [{ agent: 'it', token: TOKEN }] },
    agent: {
      inputs: [{ type: 'http', listen: { port: 0 }, defaultLogId: `ag-${run}` }, ...extraInputs],
      uplink: {
        url: `http://127.0.0.1:${routerPort}`,
        token: TOKEN,
        batch: { maxRecords: 200, lingerMs: 50 },
        requestTimeoutMs: 2_000,
        connectTimeoutMs: 1_000,
      },
      spool: { directory: path.join(dir, 'spool'), fsync: 'always' },
    },
  });
}

const freePort = () => 20_000 + Math.floor(Math.random() * 10_000);
const topicsOf = (c: SpillwayConfig) =>
  planPlacement(c)
    .clusters.find((x) => x.name === 'main')!
    .topics.map((t) => t.name)
    .filter((t) => t.includes('.d-'));

async function post(agent: RunningAgent, lines: string[]) {
  const res = await fetch(`${agent.httpUrl}/v1/lines`, { method: 'POST', body: `${lines.join('\n')}\n` });
  return {
    status: res.status,
    body: (await res.json()) as { accepted: number; rejected: { kind: string; reason: string }[] },
  };
}

const seqs = (records: { value: Buffer | null }[]) =>
  records.map((r) => (JSON.parse(r.value!.toString()) as { seq: number }).seq).sort((a, b) => a - b);

describe('agent -> router -> Kafka', () => {
  it('ships HTTP input lines complete, with origin stamped, and says which lines it rejected', async () => {
    const run = newRun();
    const c = config(run, freePort());
    const router = await startRouter(c, { admission: null });
    open.push(router);
    const agent = await startAgent(c);
    open.push(agent);
    const lines = Array.from({ length: 500 }, (_, seq) =>
      JSON.stringify({ level: seq % 7 ? 'info' : 'error', msg: `m${seq}`, seq }),
    );
    const res = await post(agent, [...lines, '{broken']);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(500);
    expect(res.body.rejected).toEqual([{ kind: 'invalid-json', reason: expect.stringMatching(/^not valid JSON/) }]);
    const got = await readTopic(c, 'main', topicsOf(c), 500);
    expect(seqs(got)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    const first = JSON.parse(got[0]!.value!.toString());
    expect(first).toMatchObject({
      logId: `ag-${run}`,
      host: os.hostname(),
      origin: { region: 'local', zone: 'local-1' },
    });
  });

  it('takes a JSON array body as well as NDJSON', async () => {
    const run = newRun();
    const c = config(run, freePort());
    const router = await startRouter(c, { admission: null });
    open.push(router);
    const agent = await startAgent(c);
    open.push(agent);
    const res = await fetch(`${agent.httpUrl}/v1/lines`, {
      method: 'POST',
      body: JSON.stringify(Array.from({ length: 40 }, (_, seq) => ({ msg: 'array', seq }))),
    });
    expect(await res.json()).toEqual({ accepted: 40, rejected: [] });
    const got = await readTopic(c, 'main', topicsOf(c), 40);
    expect(seqs(got)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('spools while the router is down and drains in order once it is back, nothing lost', async () => {
    const run = newRun();
    const port = freePort();
    const c = config(run, port);
    const agent = await startAgent(c);
    open.push(agent);
    // Router down: the agent still answers, once the lines are in the spool.
    const first = await post(
      agent,
      Array.from({ length: 300 }, (_, seq) => JSON.stringify({ msg: 'while down', seq })),
    );
    expect(first.body.accepted).toBe(300);
    expect(agent.spool.stats().entries).toBeGreaterThan(0);
    expect(agent.shipper.stats.spooled).toBe(300);
    // More while still down: queued behind the spool, in order.
    await post(
      agent,
      Array.from({ length: 200 }, (_, i) => JSON.stringify({ msg: 'still down', seq: 300 + i })),
    );
    const router = await startRouter(c, { admission: null });
    open.unshift(router);
    await waitFor('the spool to drain', () => agent.spool.stats().entries === 0, 60_000);
    const got = await readTopic(c, 'main', topicsOf(c), 500);
    expect(seqs(got)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(agent.shipper.stats.replayed).toBe(500);
  });

  it('a pino app using spillway/pino reaches Kafka through the agent, every sequence number present', async () => {
    const run = newRun();
    const c = config(run, freePort());
    const router = await startRouter(c, { admission: null });
    open.push(router);
    const agent = await startAgent(c);
    open.push(agent);
    const app = spawn(
      process.execPath,
      ['test/fixtures/pino-app.ts', agent.httpUrl!, '400', '20', '500', '10000', `pino-${run}`],
      { stdio: 'ignore' },
    );
    expect(await new Promise((r) => app.once('exit', r))).toBe(0);
    const got = await readTopic(
      c,
      'main',
      topicsOf(c).filter((t) => t.includes(`pino-${run}`)),
      420,
    );
    expect(seqs(got)).toEqual(Array.from({ length: 420 }, (_, i) => i));
    expect(got.filter((r) => r.topic.startsWith('spw.s.error.'))).toHaveLength(20);
  });
});

describe('agent socket inputs', () => {
  it('takes NDJSON over TCP and syslog over TCP (octet counting) and UDP; a broken syslog stream is cut alone', async () => {
    const run = newRun();
    const c = config(run, freePort(), [
      { type: 'tcp', listen: { port: 0 }, defaultLogId: `ag-${run}` },
      { type: 'syslog', protocol: 'tcp', listen: { port: 0 } },
      { type: 'syslog', protocol: 'udp', listen: { port: 0 } },
    ]);
    const router = await startRouter(c, { admission: null });
    open.push(router);
    const agent = await startAgent(c);
    open.push(agent);
    const [tcp, sysTcp, sysUdp] = agent.sockets;

    const send = (port: number, data: string) =>
      new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.end(data));
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
    await send(
      tcp!.port,
      `${Array.from({ length: 100 }, (_, seq) => JSON.stringify({ msg: 'tcp', seq })).join('\n')}\n`,
    );
    const msg = (seq: number) => `<134>1 2026-11-26T18:00:00.000Z web-1 sys-${run} 42 ID1 - syslog ${seq}`;
    const framed = Array.from({ length: 50 }, (_, i) => msg(100 + i))
      .map((m) => `${Buffer.byteLength(m)} ${m}`)
      .join('');
    await send(sysTcp!.port, framed);
    await send(sysTcp!.port, '12x broken framing');
    const udp = dgram.createSocket('udp4');
    for (let i = 0; i < 30; i++)
      await new Promise<void>((r) => udp.send(msg(150 + i), sysUdp!.port, '127.0.0.1', () => r()));
    udp.close();

    const got = await readTopic(c, 'main', topicsOf(c), 180);
    const tcpSeqs = got
      .filter((r) => r.topic.includes(`d-ag-${run}`))
      .map((r) => JSON.parse(r.value!.toString()).seq as number);
    expect(tcpSeqs.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const sys = got.filter((r) => r.topic.includes(`d-sys-${run}`)).map((r) => JSON.parse(r.value!.toString()));
    expect(sys).toHaveLength(80);
    expect(sys[0]).toMatchObject({ logId: `sys-${run}`, level: 'info', host: 'web-1' });
    expect(new Set(sys.map((s) => s.msg)).size).toBe(80);
    expect(sysTcp!.stats.rejected).toBe(1);
    expect(sysTcp!.stats.records).toBe(50);
    expect(sysUdp!.stats.records).toBe(30);
  });
});

describe('agent crash safety', () => {
  it('kill -9 of the agent loses nothing it acknowledged: the spool replays after the restart', async () => {
    const run = newRun();
    const port = freePort();
    const c = config(run, port);
    const dir = dirs.at(-1)!;
    const httpPort = 24_000 + Math.floor(Math.random() * 4_000);
    const file = path.join(dir, 'agent.json');
    const stack = clusters();
    fs.writeFileSync(
      file,
      JSON.stringify({
        clusters: [
          { name: 'main', brokers: stack.main.brokers },
          { name: 'aux', brokers: stack.aux.brokers },
        ],
        pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
        channels: { dedicatedPartitionsPerTopic: 2 },
        logIds: c.logIds.map((l) => ({
          id: l.id,
          name: l.name,
          owner: l.owner,
          importance: l.importance,
          sinks: [...l.sinks],
          dedicated: l.dedicated,
        })),
        sinks: [{ type: 'blackhole', name: 'drop' }],
        router: { listen: { port }, tokens: [{ agent: 'it', token: TOKEN }] },
        agent: {
          inputs: [{ type: 'http', listen: { port: httpPort }, defaultLogId: `ag-${run}` }],
          uplink: {
            url: `http://127.0.0.1:${port}`,
            token: TOKEN,
            batch: { maxRecords: 100, lingerMs: 20 },
            requestTimeoutMs: 2_000,
            connectTimeoutMs: 1_000,
          },
          spool: { directory: path.join(dir, 'spool'), fsync: 'always' },
        },
      }),
    );
    const start = () => spawn(process.execPath, ['bin/spillway.js', 'agent', '--config', file], { stdio: 'ignore' });
    const first = start();
    // Router down: every acknowledged POST is in the fsynced spool.
    let acked = 0;
    for (let i = 0; i < 100 && acked < 1_000; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/v1/lines`, {
          method: 'POST',
          body: `${Array.from({ length: 50 }, (_, k) => JSON.stringify({ msg: 'crash', seq: acked + k })).join('\n')}\n`,
        });
        if (res.status === 200) acked += ((await res.json()) as { accepted: number }).accepted;
      } catch {
        await new Promise((r) => setTimeout(r, 100)); // not listening yet
      }
    }
    expect(acked).toBe(1_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const router = await startRouter(c, { admission: null });
    open.push(router);
    const second = start();
    try {
      const got = await readTopic(c, 'main', topicsOf(c), 1_000, 60_000);
      const unique = [...new Set(seqs(got))];
      expect(unique).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
      console.log(
        `agent kill -9: 1,000 acknowledged lines, all in Kafka after the restart, ${got.length - unique.length} duplicates`,
      );
    } finally {
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    }
  });
});

describe('agent per-logId quota', () => {
  it('a runaway logId is cut at its quota at the edge, counted, while another logId passes whole', async () => {
    const run = newRun();
    const base = config(run, freePort());
    const c = validateConfig({
      ...JSON.parse(JSON.stringify(base)),
      logIds: base.logIds.map((l) =>
        l.id === `ag-${run}` ? { ...l, quota: { recordsPerSec: 100, bytesPerSec: 1_000_000 } } : l,
      ),
    });
    const router = await startRouter(c, { admission: null });
    open.push(router);
    const agent = await startAgent(c, { metricsPort: 0 });
    open.push(agent);
    const res = await post(agent, [
      ...Array.from({ length: 300 }, (_, seq) => JSON.stringify({ logId: `ag-${run}`, msg: 'runaway', seq })),
      ...Array.from({ length: 50 }, (_, seq) => JSON.stringify({ logId: `sys-${run}`, msg: 'calm', seq: 1000 + seq })),
    ]);
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(150);
    expect(res.body.rejected).toHaveLength(200);
    expect(res.body.rejected[0]).toEqual({
      kind: 'quota',
      reason: `logId "ag-${run}" over its quota of 100 records/s`,
    });
    expect(agent.quotaDropped.get(`ag-${run}`)).toBe(200);

    // The same numbers on /metrics, on the http input's port and on --metrics-port.
    for (const base of [agent.httpUrl!, agent.metricsUrl!]) {
      const samples = parsePromText(await (await fetch(`${base}/metrics`)).text());
      const sum = (name: string, labels: Record<string, string>) =>
        samples
          .filter((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v))
          .reduce((n, x) => n + x.value, 0);
      expect(sum('spillway_records_received_total', { component: 'agent', logid: `ag-${run}` })).toBe(300);
      expect(sum('spillway_records_received_total', { component: 'agent', logid: `sys-${run}` })).toBe(50);
      expect(sum('spillway_records_dropped_total', { component: 'agent', reason: 'quota' })).toBe(200);
      // Quota drops carry the line's criticality: logId ag is importance A.
      const crit = criticalityOfRecord({ logId: `ag-${run}`, level: 'info' }, c);
      expect(sum('spillway_records_dropped_total', { reason: 'quota', criticality: crit })).toBe(200);
      expect(sum('spillway_records_sent_total', { component: 'agent' })).toBe(150);
      expect(sum('spillway_spool_bytes', { component: 'agent' })).toBe(0);
    }
  });
});

describe('agent file input', () => {
  it('tails a file through a rename rotation into Kafka, every sequence number once', async () => {
    const run = newRun();
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-it-tail-'));
    dirs.push(logDir);
    const file = path.join(logDir, 'app.log');
    fs.writeFileSync(file, '');
    const c = config(run, freePort(), [
      { type: 'file', include: [path.join(logDir, '*.log')], startAt: 'beginning', defaultLogId: `ag-${run}` },
    ]);
    const router = await startRouter(c, { admission: null });
    open.push(router);
    const agent = await startAgent(c);
    open.push(agent);
    const lines = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => `${JSON.stringify({ msg: 'tail', seq: from + i })}\n`).join('');
    fs.appendFileSync(file, lines(0, 150));
    await new Promise((r) => setTimeout(r, 400));
    fs.renameSync(file, path.join(logDir, 'app.log.1'));
    fs.writeFileSync(file, lines(150, 150));
    const got = await readTopic(c, 'main', topicsOf(c), 300);
    expect(seqs(got)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });
});
