/**
 * Agent benchmark: ingest of ~256-byte JSON lines over TCP into batches to a null uplink
 * (an HTTP server in this process that counts lines and answers 200), and the agent's RSS
 * under sustained load with the router down (everything goes to the disk spool).
 *
 *   node bench/agent.ts [--lines 500000] [--runs 3] [--down-seconds 60] [--down-only] [--no-report]
 *
 * AGENT_NODE_OPTIONS is passed to the agent process as NODE_OPTIONS (to try V8 flags).
 *
 * Reference in the same run: the same sender into a bare Node TCP server that only counts
 * newlines (the ceiling of loopback TCP + one Node event loop on this machine). Published
 * peer figure, not measured here: Vector's test harness reports about 86 MiB/s
 * TCP -> blackhole on a 2-vCPU machine.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import zlib from 'node:zlib';
import { barChartSvg, timeChartSvg } from './lib/chart.ts';
import { machineDescription } from './lib/machine.ts';
import { replaceSection } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    lines: { type: 'string', default: '500000' },
    runs: { type: 'string', default: '3' },
    'down-seconds': { type: 'string', default: '60' },
    'down-only': { type: 'boolean', default: false },
    'no-report': { type: 'boolean', default: false },
  },
});
const LINES = Number(opts.lines);
const RUNS = Number(opts.runs);
const DOWN_SECONDS = Number(opts['down-seconds']);

function makeData(n: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const base = `{"time":${1_795_000_000_000 + i},"level":"info","logId":"bench","seq":${i},"msg":"request handled in ${i % 997} ms by worker ${i % 16}"`;
    parts.push(`${base},"pad":"${'x'.repeat(Math.max(0, 250 - base.length))}"}`);
  }
  return Buffer.from(`${parts.join('\n')}\n`);
}

/** Writes data to host:port with backpressure; resolves when the socket is done. */
function sendAll(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', async () => {
      const chunk = 256 * 1024;
      for (let i = 0; i < data.length; i += chunk) {
        if (!s.write(data.subarray(i, i + chunk))) await new Promise((r) => s.once('drain', r));
      }
      s.end();
    });
    s.on('close', () => resolve());
    s.on('error', reject);
  });
}

async function rawReference(data: Buffer): Promise<number> {
  let lines = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const server = net.createServer((s) =>
    s.on('data', (c: Buffer) => {
      for (let i = c.indexOf(10); i !== -1; i = c.indexOf(10, i + 1)) lines++;
      if (lines >= LINES) done();
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const t0 = performance.now();
  await sendAll((server.address() as net.AddressInfo).port, data);
  await finished;
  const s = (performance.now() - t0) / 1000;
  server.close();
  return s;
}

function nullRouter(): Promise<{ port: number; lines: () => number; close: () => void }> {
  let lines = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = zlib.zstdDecompressSync(Buffer.concat(chunks));
      let n = 0;
      for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) n++;
      lines += n;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accepted: n, rejected: [], retry: [], fallback: 0 }));
    });
  });
  return new Promise((r) =>
    server.listen(0, '127.0.0.1', () =>
      r({ port: (server.address() as net.AddressInfo).port, lines: () => lines, close: () => server.close() }),
    ),
  );
}

function agentConfig(dir: string, tcpPort: number, routerPort: number): string {
  return JSON.stringify({
    clusters: [{ name: 'main', brokers: ['127.0.0.1:19092'] }],
    pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
    logIds: [
      { id: 'bench', name: 'bench', owner: 'bench', importance: 'A', sinks: ['drop'] },
      { id: 'unknown', name: 'unknown', owner: 'bench', importance: 'C', sinks: ['drop'] },
    ],
    sinks: [{ type: 'blackhole', name: 'drop' }],
    agent: {
      inputs: [{ type: 'tcp', listen: { port: tcpPort } }],
      uplink: {
        url: `http://127.0.0.1:${routerPort}`,
        compression: 'zstd',
        requestTimeoutMs: 5_000,
        connectTimeoutMs: 1_000,
      },
      spool: { directory: path.join(dir, 'spool'), fsync: 'interval', maxBytes: 2 * 1024 * 1024 * 1024 },
    },
  });
}

async function startAgentProcess(dir: string, tcpPort: number, routerPort: number, summary = false, tuned = true) {
  const file = path.join(dir, 'agent.json');
  fs.writeFileSync(file, agentConfig(dir, tcpPort, routerPort));
  const child = spawn(process.execPath, ['bin/spillway.js', 'agent', '--config', file], {
    stdio: ['ignore', summary ? 'pipe' : 'ignore', 'inherit'],
    env: {
      ...process.env,
      ...(tuned ? {} : { SPW_AGENT_TUNED: '0' }),
      SPW_LOG_LEVEL: summary ? 'info' : 'warn',
      NODE_OPTIONS: process.env.AGENT_NODE_OPTIONS ?? '',
    },
  });
  for (let i = 0; i < 100; i++) {
    if (
      await new Promise<boolean>((r) =>
        net
          .connect(tcpPort, '127.0.0.1')
          .once('connect', function (this: net.Socket) {
            this.destroy();
            r(true);
          })
          .once('error', () => r(false)),
      )
    )
      break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return child;
}

function rssMiB(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function newlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

interface DownResult {
  /** [seconds since the load started, RSS MiB], every 500 ms. */
  curve: [number, number][];
  maxRss: number;
  sentMiB: number;
  /** Lines the load generator wrote (the agent took them: TCP back-pressure holds the rest). */
  sentLines: number;
  spoolMiB: number;
  /** The agent's own stop summary: lines spooled and dropped. */
  spooled: number;
  dropped: number;
}

/**
 * Router down: everything spools. The load generator writes as fast as the agent reads (TCP
 * back-pressure is the only brake) for DOWN_SECONDS while the agent's RSS is sampled.
 */
async function routerDown(data: Buffer, tuned: boolean): Promise<DownResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-bench-agent-down-'));
  const tcpPort = 26_000 + Math.floor(Math.random() * 3000);
  const child = await startAgentProcess(dir, tcpPort, 1, true, tuned);
  let summary = '';
  child.stdout!.on('data', (c: Buffer) => {
    summary += c.toString();
  });
  const curve: [number, number][] = [];
  const t0 = Date.now();
  const sample = () => curve.push([(Date.now() - t0) / 1000, rssMiB(child.pid!)]);
  sample();
  const sampler = setInterval(sample, 500);
  const until = t0 + DOWN_SECONDS * 1000;
  const parts: Buffer[] = [];
  for (let i = 0, from = 0; i < 10; i++) {
    const to = i === 9 ? data.length : data.indexOf(10, Math.floor((data.length * (i + 1)) / 10)) + 1;
    parts.push(data.subarray(from, to));
    from = to;
  }
  let sentMiB = 0;
  let sentLines = 0;
  while (Date.now() < until) {
    // A tenth of the data per connection, so the run ends on time even when the agent reads slowly.
    for (const part of parts) {
      if (Date.now() >= until) break;
      await sendAll(tcpPort, part);
      sentMiB += part.length / 1048576;
      sentLines += newlines(part);
    }
    process.stderr.write(
      `\r[router down, ${tuned ? 'tuned' : 'untuned'}] ${((Date.now() - t0) / 1000).toFixed(0)}/${DOWN_SECONDS} s, ${sentMiB.toFixed(0)} MiB sent, RSS ${curve.at(-1)![1].toFixed(0)} MiB   `,
    );
  }
  clearInterval(sampler);
  sample();
  process.stderr.write('\n');
  const spoolMiB =
    fs.readdirSync(path.join(dir, 'spool')).reduce((s, f) => s + fs.statSync(path.join(dir, 'spool', f)).size, 0) /
    1048576;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dir, { recursive: true, force: true });
  const stopped = summary
    .split('\n')
    .filter((l) => l.includes('"agent stopped"'))
    .map((l) => JSON.parse(l) as { spooled: number; dropped: number })[0];
  return {
    curve,
    maxRss: Math.max(...curve.map((p) => p[1])),
    sentMiB,
    sentLines,
    spoolMiB,
    spooled: stopped?.spooled ?? Number.NaN,
    dropped: stopped?.dropped ?? Number.NaN,
  };
}

function downReport(d: DownResult, ref: DownResult): string {
  const at = (r: DownResult, s: number) => r.curve.find((p) => p[0] >= s)?.[1].toFixed(0) ?? '-';
  const row = (name: string, r: DownResult) =>
    `| ${name} | ${r.sentMiB.toFixed(0)} | ${[0, 5, 10, 20, 30, 45].map((s) => at(r, s)).join(' | ')} | ${r.curve.at(-1)![1].toFixed(0)} | **${r.maxRss.toFixed(0)}** |`;
  return [
    `Router down (${DOWN_SECONDS} s of full-speed load over TCP, a tenth of the data per connection, uplink to a closed port, everything to the disk spool, fsync every second). As \`spillway agent\` runs (16 MiB semi-spaces, two malloc arenas: bin/spillway.js) it took ${d.sentMiB.toFixed(0)} MiB (${d.sentLines.toLocaleString('en-US')} lines), ${d.spoolMiB.toFixed(0)} MiB in the spool (zstd), ${d.spooled.toLocaleString('en-US')} lines spooled and ${d.dropped} dropped by its own count. Reference in the same run: the same agent with Node's defaults (\`SPW_AGENT_TUNED=0\`), ${ref.spooled.toLocaleString('en-US')} lines spooled, ${ref.dropped} dropped. Peak RSS ${(d.maxRss / ref.maxRss).toFixed(2)}x the reference; aim: under 150 MiB.`,
    '',
    `| agent | MiB taken | RSS MiB at 0 s | 5 s | 10 s | 20 s | 30 s | 45 s | ${DOWN_SECONDS} s | peak |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    row('**reference:** Node defaults', ref),
    row('spillway agent', d),
  ].join('\n');
}

async function main(): Promise<void> {
  const data = makeData(LINES);
  const mib = data.length / 1048576;
  const raw: number[] = [];
  const agent: number[] = [];
  if (opts['down-only']) {
    const ref = await routerDown(data, false);
    const down = await routerDown(data, true);
    console.log(downReport(down, ref));
    return;
  }
  for (let run = 1; run <= RUNS; run++) {
    raw.push(await rawReference(data));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-bench-agent-'));
    const router = await nullRouter();
    const tcpPort = 23_000 + Math.floor(Math.random() * 3000);
    const child = await startAgentProcess(dir, tcpPort, router.port);
    const t0 = performance.now();
    await sendAll(tcpPort, data);
    while (router.lines() < LINES) await new Promise((r) => setTimeout(r, 5));
    agent.push((performance.now() - t0) / 1000);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    router.close();
    fs.rmSync(dir, { recursive: true, force: true });
    console.error(
      `[run ${run}/${RUNS}] raw ${(mib / raw.at(-1)!).toFixed(1)} MiB/s, agent ${(mib / agent.at(-1)!).toFixed(1)} MiB/s`,
    );
  }

  const ref = await routerDown(data, false);
  const down = await routerDown(data, true);
  const rawMib = mib / median(raw);
  const agentMib = mib / median(agent);
  const range = (xs: number[]) => `${(mib / Math.max(...xs)).toFixed(1)}–${(mib / Math.min(...xs)).toFixed(1)}`;
  const md = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:agent\` (bench/agent.ts), ${RUNS} runs.`,
    `Machine: ${machineDescription()}.`,
    `Data: ${LINES.toLocaleString('en-US')} JSON lines of ~256 B (${mib.toFixed(0)} MiB) over one TCP connection. Agent: its own process (\`spillway agent\`), tcp input, batches of 2,000 lines, zstd, to a null uplink in the bench process that decompresses, counts and answers 200; the clock stops when the uplink has every line.`,
    '',
    '| path | MiB/s, median (min–max) | lines/s | × reference |',
    '|---|---:|---:|---:|',
    `| **reference:** bare Node TCP server counting newlines | ${rawMib.toFixed(1)} (${range(raw)}) | ${Math.round(LINES / median(raw)).toLocaleString('en-US')} | 1.00 |`,
    `| spillway agent: TCP -> parse + stamp -> batch -> zstd -> uplink | ${agentMib.toFixed(1)} (${range(agent)}) | ${Math.round(LINES / median(agent)).toLocaleString('en-US')} | ${(agentMib / rawMib).toFixed(2)} |`,
    '',
    `Published peer figure (not measured here): Vector, TCP -> blackhole, about 86 MiB/s on 2 vCPU; the agent reaches ${(agentMib / 86).toFixed(2)}x of it.`,
    '',
    downReport(down, ref),
    '',
    '![Agent ingest](img/agent.svg)',
    '',
    '![Agent RSS with the router down](img/agent-rss.svg)',
  ].join('\n');
  console.log(md);
  if (!opts['no-report']) {
    replaceSection('docs/benchmarks.md', 'agent', md);
    fs.writeFileSync(
      'docs/img/agent.svg',
      barChartSvg({
        title: `Agent TCP ingest, ${LINES.toLocaleString('en-US')} × ~256 B lines, median of ${RUNS}`,
        unit: 'MiB/s',
        groups: ['MiB/s'],
        series: [
          { name: 'bare Node TCP (reference)', values: [rawMib] },
          { name: 'spillway agent', values: [agentMib] },
        ],
      }),
    );
    fs.writeFileSync(
      'docs/img/agent-rss.svg',
      timeChartSvg({
        title: `Agent RSS, router down, ${DOWN_SECONDS} s of full-speed TCP input`,
        xUnit: 's',
        yUnit: 'MiB',
        series: [
          { name: 'Node defaults (reference)', points: ref.curve },
          { name: 'spillway agent', points: down.curve },
        ],
      }),
    );
  }
}

await main();
process.exit(0);
