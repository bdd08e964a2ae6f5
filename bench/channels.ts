/**
 * Channel priority end to end (issue #11, DESIGN.md invariant 3): agent -> router -> Kafka
 * -> sink -> a destination with a fixed capacity, each in its own process, in one run:
 *
 *   1. level:      logId `checkout-<run>` (importance A). ERROR lines at --urgent-rate next to INFO
 *                  at --base-rate (base), then INFO at 10x (--flood-rate, the flood).
 *   2. importance: logId `payments-<run>` (S) at --urgent-rate next to `clicks-<run>` (C) at --base-rate,
 *                  then `clicks` at --flood-rate.
 *
 * The flood exceeds the destination's capacity (--capacity records/s), so a backlog builds
 * at the sink. Every line carries its send time; the destination (scripts/capacity-receiver.ts,
 * in this process, same clock) records each urgent line's end-to-end latency. Reported: the
 * urgent lines' p50/p99 at base and under the flood, the ratio flood p99 / base p99 (the
 * reference is the same channel at base load, same run), the flood channel's throughput at
 * the destination as a share of its capacity (priority must not waste capacity), what the
 * agent and router shed, and peak RSS per process. Writes the "channels" section of
 * docs/benchmarks.md and docs/img/channels-*.svg (latency over time).
 *
 *   npm run stack -- up && npm run bench:channels [-- --base-seconds 20 --flood-seconds 30]
 *
 * Loopback only; every phase is bounded in time and the script stops what it started.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KafkaAdmin, KafkaConsumer } from '../core/kafka/index.ts';
import { startCapacityReceiver } from '../scripts/capacity-receiver.ts';
import { timeChartSvg } from './lib/chart.ts';
import { machineDescription } from './lib/machine.ts';
import { replaceSection } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.SPW_KAFKA_MAIN ?? '127.0.0.1:19092' },
    capacity: { type: 'string', default: '8000' },
    'base-rate': { type: 'string', default: '2000' },
    'flood-rate': { type: 'string', default: '20000' },
    'urgent-rate': { type: 'string', default: '20' },
    'base-seconds': { type: 'string', default: '20' },
    'flood-seconds': { type: 'string', default: '30' },
    only: { type: 'string' },
    /** Writes every urgent line's [send s, latency s, to-Kafka s] per experiment as JSON (for a closer look). */
    points: { type: 'string' },
    'no-report': { type: 'boolean', default: false },
  },
});
const CAPACITY = Number(opts.capacity);
const BASE_RATE = Number(opts['base-rate']);
const FLOOD_RATE = Number(opts['flood-rate']);
const URGENT_RATE = Number(opts['urgent-rate']);
const BASE_S = Number(opts['base-seconds']);
const FLOOD_S = Number(opts['flood-seconds']);
/** Lines are sent in ticks of this length: 20 requests a second per channel. */
const TICK_MS = 50;
/** Measurements start this long into a phase (the pipeline settles into the new rate). */
const SETTLE_S = 2;
/** Unmeasured base load before each experiment. */
const WARM_S = 5;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-bench-channels-'));
/**
 * Every run has logIds, topics and sink groups of its own (deleted at the end): a sink group
 * of an earlier run would start on that run's unconsumed flood, and the base phase would not
 * be a base load.
 */
const RUN = Math.random().toString(36).slice(2, 8);
const id = (name: string) => `${name}-${RUN}`;
const children: ChildProcess[] = [];
const peakRss = new Map<string, number>();

function log(msg: string): void {
  process.stderr.write(`[channels ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitHttp(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} not up at ${url} after ${timeoutMs} ms (${last})`);
}

function start(name: string, args: string[]): ChildProcess {
  const out = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const child = spawn(process.execPath, ['bin/spillway.js', ...args], {
    stdio: ['ignore', out, out],
    env: { ...process.env, SPW_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  const sample = setInterval(() => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
      peakRss.set(name, Math.max(peakRss.get(name) ?? 0, kb / 1024));
    } catch {
      // exited
    }
  }, 500);
  child.once('exit', () => clearInterval(sample));
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await new Promise((r) => child.once('exit', r));
  clearTimeout(killer);
}

/** Sums a Prometheus text's samples of `name` per value of `label`. */
async function scrapeBy(url: string, name: string, label: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(2_000) })).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const m = new RegExp(`${label}="([^"]*)"`).exec(line);
      const v = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (m && v > 0) out[m[1]!] = (out[m[1]!] ?? 0) + v;
    }
  } catch {
    // a process that is gone reports nothing
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

interface Experiment {
  id: 'level' | 'importance';
  sink: string;
  /** The urgent channel's topic: read in the bench too, to split the latency at Kafka. */
  urgentTopic: string;
  flood: { logId: string; level: string };
  urgent: { logId: string; level: string };
  label: { flood: string; urgent: string };
}

const ALL_EXPERIMENTS: Experiment[] = [
  {
    id: 'level',
    sink: id('level'),
    urgentTopic: `spw.a.error.d-${id('checkout')}`,
    flood: { logId: id('checkout'), level: 'info' },
    urgent: { logId: id('checkout'), level: 'error' },
    label: { flood: 'A INFO', urgent: 'A ERROR' },
  },
  {
    id: 'importance',
    sink: id('importance'),
    urgentTopic: `spw.s.info.d-${id('payments')}`,
    flood: { logId: id('clicks'), level: 'info' },
    urgent: { logId: id('payments'), level: 'info' },
    label: { flood: 'C INFO', urgent: 'S INFO' },
  },
];

/** --only level|importance runs one experiment (a quicker look while tuning). */
const EXPERIMENTS = ALL_EXPERIMENTS.filter((e) => opts.only === undefined || e.id === opts.only);

function config(ports: { router: number; agent: number }, receivers: Record<string, string>): string {
  return JSON.stringify({
    clusters: [{ name: 'main', brokers: opts.brokers!.split(',') }],
    pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
    channels: { partitionsPerTopic: 3, dedicatedPartitionsPerTopic: 3, replicationFactor: 1 },
    logIds: [
      { id: id('checkout'), name: 'checkout', owner: 'bench', importance: 'A', sinks: [id('level')], dedicated: true },
      {
        id: id('payments'),
        name: 'payments',
        owner: 'bench',
        importance: 'S',
        sinks: [id('importance')],
        dedicated: true,
      },
      { id: id('clicks'), name: 'clicks', owner: 'bench', importance: 'C', sinks: [id('importance')], dedicated: true },
      { id: id('unknown'), name: 'unknown', owner: 'bench', importance: 'C', sinks: [id('level')], dedicated: true },
    ],
    sinks: ALL_EXPERIMENTS.map((e) => ({
      type: 'http',
      name: e.sink,
      url: receivers[e.sink],
      batch: { maxRecords: 1000, lingerMs: 200 },
    })),
    agent: {
      inputs: [{ type: 'http', listen: { port: ports.agent } }],
      uplink: { url: `http://127.0.0.1:${ports.router}`, compression: 'zstd' },
      spool: { directory: path.join(dir, 'spool'), fsync: 'interval' },
    },
    router: { listen: { host: '127.0.0.1', port: ports.router }, fallbackLogId: id('unknown') },
  });
}

/**
 * Sends lines to the agent's http input at a rate. The flood comes as many services would
 * send it (up to 16 requests at once, a refused request not retried: it is what overloads).
 * Urgent lines go as spillway/pino sends error lines: one request at a time on a connection
 * of their own (its urgent slot), carrying every line buffered meanwhile, retried until the
 * agent took them, each keeping its send time.
 */
class Generator {
  readonly #url: string;
  readonly #floodAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  readonly #urgentAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  #urgentBuffer: string[] = [];
  #urgentSending: Promise<void> | undefined;
  #seq = 0;
  refused = 0;
  floodSent = 0;
  constructor(agentPort: number) {
    this.#url = `http://127.0.0.1:${agentPort}/v1/lines`;
  }

  #line(logId: string, level: string, urgent: boolean): string {
    const sent = Date.now();
    const seq = this.#seq++;
    const base = `{"time":${sent},"level":"${level}","logId":"${logId}","host":"bench-1","sent":${sent},"k":"${urgent ? 'u' : 'f'}","seq":${seq},"msg":"request ${seq} handled by worker ${seq % 16}"`;
    return `${base},"pad":"${'x'.repeat(Math.max(0, 240 - base.length))}"}`;
  }

  #post(body: string, agent: http.Agent): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.request(
        this.#url,
        { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode === 200));
        },
      );
      req.on('error', () => resolve(false));
      req.setTimeout(30_000, () => req.destroy());
      req.end(body);
    });
  }

  /** Runs a phase: `rate` flood lines/s and URGENT_RATE urgent lines/s for `seconds`. */
  async phase(e: Experiment, rate: number, seconds: number): Promise<void> {
    const ticks = Math.round((seconds * 1000) / TICK_MS);
    const t0 = Date.now();
    let urgentOwed = 0;
    let floodOwed = 0;
    const inFlight = new Set<Promise<unknown>>();
    for (let t = 0; t < ticks; t++) {
      floodOwed += (rate * TICK_MS) / 1000;
      urgentOwed += (URGENT_RATE * TICK_MS) / 1000;
      const nFlood = Math.floor(floodOwed);
      const nUrgent = Math.floor(urgentOwed);
      floodOwed -= nFlood;
      urgentOwed -= nUrgent;
      if (nFlood > 0) {
        const lines = Array.from({ length: nFlood }, () => this.#line(e.flood.logId, e.flood.level, false));
        this.floodSent += nFlood;
        // A flood line the agent refuses is counted, not retried: the flood is what overloads.
        const p = this.#post(`${lines.join('\n')}\n`, this.#floodAgent).then((ok) => {
          if (!ok) this.refused += nFlood;
        });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      for (let i = 0; i < nUrgent; i++) this.#urgentBuffer.push(this.#line(e.urgent.logId, e.urgent.level, true));
      if (nUrgent > 0) this.#urgentSending ??= this.#sendUrgent();
      const wait = t0 + (t + 1) * TICK_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(inFlight);
    await this.#urgentSending;
  }

  async #sendUrgent(): Promise<void> {
    try {
      for (let tries = 0; this.#urgentBuffer.length > 0 && tries < 120; ) {
        const lines = this.#urgentBuffer;
        this.#urgentBuffer = [];
        if (await this.#post(`${lines.join('\n')}\n`, this.#urgentAgent)) {
          tries = 0;
          continue;
        }
        // Refused: back at the front, tried again shortly (a refusal is latency, not loss).
        this.#urgentBuffer = [...lines, ...this.#urgentBuffer];
        tries++;
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      this.#urgentSending = undefined;
    }
  }
}

/** Deletes this run's topics (its logIds' channels, its sinks' gutter and dead-letter topics). */
async function deleteRunTopics(): Promise<void> {
  const admin = new KafkaAdmin({ name: 'main', brokers: opts.brokers!.split(',') });
  try {
    const mine = (await admin.describeTopics()).map((t) => t.topic).filter((t) => t.endsWith(`-${RUN}`));
    if (mine.length > 0) await admin.deleteTopics(mine);
  } catch (err) {
    log(`could not delete this run's topics (*-${RUN}): ${(err as Error).message}`);
  } finally {
    await admin.close();
  }
}

interface Result {
  e: Experiment;
  base: number[];
  flood: number[];
  /** Send -> written to Kafka (the record's timestamp), flood phase. */
  floodToKafka: number[];
  /** Send -> Kafka per point (null when the probe missed it). */
  toKafka: (number | null)[];
  points: [number, number][];
  floodServedPerSec: number;
  phases: { from: number; to: number; label: string }[];
}

async function main(): Promise<void> {
  const ports = { router: await freePort(), agent: await freePort() };
  const arrivals = new Map<string, { urgent: { sent: number; seq: number; at: number }[]; floodAt: number[] }>();
  const receivers: Record<string, string> = {};
  const closers: (() => Promise<void>)[] = [];
  for (const e of ALL_EXPERIMENTS) {
    const rec = { urgent: [] as { sent: number; seq: number; at: number }[], floodAt: [] as number[] };
    arrivals.set(e.sink, rec);
    const r = await startCapacityReceiver({
      recordsPerSec: CAPACITY,
      onRecords: (lines, at) => {
        for (const l of lines) {
          const s = l.toString('latin1');
          const i = s.indexOf('"sent":');
          if (i < 0) continue; // the sink's health-check probe
          if (s.includes('"k":"u"')) {
            const j = s.indexOf('"seq":');
            rec.urgent.push({
              sent: Number(s.slice(i + 7, s.indexOf(',', i))),
              seq: Number(s.slice(j + 6, s.indexOf(',', j))),
              at,
            });
          } else rec.floodAt.push(at);
        }
      },
    });
    receivers[e.sink] = r.url;
    closers.push(() => r.close());
  }
  const file = path.join(dir, 'channels.json');
  fs.writeFileSync(file, config(ports, receivers));
  const topics = start('topics', ['topics', 'ensure', '--config', file]);
  await new Promise((r) => topics.once('exit', r));
  if (topics.exitCode !== 0) {
    const why = fs.readFileSync(path.join(dir, 'topics.log'), 'utf8').trim();
    for (const close of closers) await close();
    throw new Error(`topics ensure failed (is the stack up? npm run stack -- up):\n${why}`);
  }
  start('router', ['router', '--config', file]);
  await waitHttp(`http://127.0.0.1:${ports.router}/healthz`, 'router');
  start('agent', ['agent', '--config', file]);
  await waitHttp(`http://127.0.0.1:${ports.agent}/healthz`, 'agent');
  // When each urgent line reached Kafka (seq -> the record's timestamp), read by a group of our own.
  const inKafka = new Map<number, number>();
  const probe = new KafkaConsumer(
    { name: 'main', brokers: opts.brokers!.split(',') },
    {
      clientId: 'bench-channels',
      groupId: `bench.channels.${process.pid}.${Date.now()}`,
      topics: EXPERIMENTS.map((e) => e.urgentTopic),
      startAt: 'latest',
      maxWaitMs: 100,
      onBatch: (b) => {
        for (const r of b.records) {
          const v = r.value?.toString('latin1') ?? '';
          const i = v.indexOf('"seq":');
          if (i >= 0) inKafka.set(Number(v.slice(i + 6, v.indexOf(',', i))), r.timestampMs);
        }
      },
    },
  );
  await probe.start();
  const sinks = new Map(
    EXPERIMENTS.map((e) => [e.sink, start(`sink-${e.id}`, ['sink', '--config', file, '--name', e.sink])]),
  );
  const gen = new Generator(ports.agent);

  const results: Result[] = [];
  try {
    for (const e of EXPERIMENTS) {
      const rec = arrivals.get(e.sink)!;
      // Warm-up: the sink has joined its group and the path is open once an urgent line arrives.
      const warm = Date.now();
      while (rec.urgent.length === 0) {
        if (Date.now() - warm > 90_000) throw new Error(`no line reached ${e.sink} within 90 s; see ${dir}/*.log`);
        await gen.phase(e, 0, 1);
      }
      // Then WARM_S of base load, not measured: JIT, connection pools and consumer fetch
      // sessions settle, so the base figure is the steady state the flood is compared with.
      await gen.phase(e, BASE_RATE, WARM_S);
      await new Promise((r) => setTimeout(r, 2_000));
      rec.urgent.length = 0;
      rec.floodAt.length = 0;
      const t0 = Date.now();
      log(`${e.id}: base load, ${e.label.flood} ${BASE_RATE}/s + ${e.label.urgent} ${URGENT_RATE}/s for ${BASE_S} s`);
      await gen.phase(e, BASE_RATE, BASE_S);
      const t1 = Date.now();
      log(`${e.id}: flood, ${e.label.flood} ${FLOOD_RATE}/s + ${e.label.urgent} ${URGENT_RATE}/s for ${FLOOD_S} s`);
      await gen.phase(e, FLOOD_RATE, FLOOD_S);
      const t2 = Date.now();
      // The last urgent lines of the flood are still on their way: wait for them (bounded).
      const sentUrgent = Math.round(URGENT_RATE * (BASE_S + FLOOD_S));
      // rec.urgent holds only this experiment's measured phases (cleared after the warm-up).
      const until = Date.now() + 60_000;
      while (rec.urgent.length < sentUrgent && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
      const within = (from: number, to: number) =>
        rec.urgent.filter((u) => u.sent >= from + SETTLE_S * 1000 && u.sent < to);
      const lat = (from: number, to: number) => within(from, to).map((u) => (u.at - u.sent) / 1000);
      const served = rec.floodAt.filter((at) => at >= t1 + SETTLE_S * 1000 && at < t2).length;
      results.push({
        e,
        base: lat(t0, t1),
        flood: lat(t1, t2),
        floodToKafka: within(t1, t2)
          .filter((u) => inKafka.has(u.seq))
          .map((u) => (inKafka.get(u.seq)! - u.sent) / 1000),
        points: rec.urgent.map((u) => [(u.sent - t0) / 1000, (u.at - u.sent) / 1000]),
        toKafka: rec.urgent.map((u) => (inKafka.has(u.seq) ? (inKafka.get(u.seq)! - u.sent) / 1000 : null)),
        floodServedPerSec: served / ((t2 - t1) / 1000 - SETTLE_S),
        phases: [
          { from: 0, to: (t1 - t0) / 1000, label: `base: ${BASE_RATE.toLocaleString('en-US')}/s` },
          { from: (t1 - t0) / 1000, to: (t2 - t0) / 1000, label: `flood: ${FLOOD_RATE.toLocaleString('en-US')}/s` },
        ],
      });
      const r = results.at(-1)!;
      log(
        `${e.id}: ${e.label.urgent} p99 base ${pct(r.base, 99).toFixed(3)} s, flood ${pct(r.flood, 99).toFixed(3)} s ` +
          `(${(pct(r.flood, 99) / pct(r.base, 99)).toFixed(2)}x; to Kafka p99 ${pct(r.floodToKafka, 99).toFixed(3)} s); ${e.label.flood} at the destination ${Math.round(r.floodServedPerSec)}/s of ${CAPACITY}/s; ` +
          `${rec.urgent.length}/${sentUrgent} urgent lines arrived`,
      );
      // This experiment's backlog is no longer measured: stop its sink so the next runs on a quiet machine.
      await stop(sinks.get(e.sink)!);
      const settle = Date.now() + 60_000;
      while (Date.now() < settle) {
        const spool = await scrapeBy(`http://127.0.0.1:${ports.agent}/metrics`, 'spillway_spool_bytes', 'component');
        if ((spool.agent ?? 0) === 0) break;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    const routerDrops = await scrapeBy(
      `http://127.0.0.1:${ports.router}/metrics`,
      'spillway_records_dropped_total',
      'criticality',
    );
    const agentDrops = await scrapeBy(
      `http://127.0.0.1:${ports.agent}/metrics`,
      'spillway_records_dropped_total',
      'criticality',
    );
    if (opts.points)
      fs.writeFileSync(
        opts.points,
        JSON.stringify(results.map((r) => ({ id: r.e.id, points: r.points, toKafka: r.toKafka, phases: r.phases }))),
      );
    report(results, { routerDrops, agentDrops, refused: gen.refused, floodSent: gen.floodSent });
  } finally {
    await probe.close();
    for (const c of children) await stop(c);
    await deleteRunTopics();
    for (const close of closers) await close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function report(
  results: Result[],
  shed: { routerDrops: Record<string, number>; agentDrops: Record<string, number>; refused: number; floodSent: number },
): void {
  const f = (s: number) => (Number.isNaN(s) ? 'n/a' : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);
  const rows = results.map((r) => {
    const ratio = pct(r.flood, 99) / pct(r.base, 99);
    return `| ${r.e.label.urgent} next to ${r.e.label.flood} | ${f(pct(r.base, 50))} / ${f(pct(r.base, 99))} (${r.base.length}) | ${f(pct(r.flood, 50))} / ${f(pct(r.flood, 99))} (${r.flood.length}) | ${f(pct(r.floodToKafka, 99))} | **${ratio.toFixed(2)}x** | ${Math.round(r.floodServedPerSec).toLocaleString('en-US')}/s = ${(r.floodServedPerSec / CAPACITY).toFixed(2)}x |`;
  });
  const fmt = (d: Record<string, number>) =>
    Object.keys(d).length === 0
      ? 'none'
      : Object.entries(d)
          .map(([k, v]) => `${k} ${Math.round(v).toLocaleString('en-US')}`)
          .join(', ');
  const rss = [...peakRss]
    .filter(([n]) => n !== 'topics')
    .map(([n, v]) => `${n} ${v.toFixed(0)} MiB`)
    .join(', ');
  const md = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`npm run bench:channels\` (bench/channels.ts).`,
    `Machine: ${machineDescription()}.`,
    `Path: pino-like NDJSON lines (~256 B) POSTed to the agent's http input -> router -> Kafka (one broker, 3 partitions per topic) -> an http sink (batches of up to 1,000, linger 200 ms, concurrency 2, defaults otherwise) -> a destination serving ${CAPACITY.toLocaleString('en-US')} records/s one request at a time. Agent, router and each sink are separate processes; the load generator and the destination share the bench process, so latencies are one clock. Per experiment: ${BASE_S} s of base load (${BASE_RATE.toLocaleString('en-US')} flood-channel lines/s + ${URGENT_RATE} urgent lines/s), then ${FLOOD_S} s of flood (${FLOOD_RATE.toLocaleString('en-US')}/s, ${(FLOOD_RATE / CAPACITY).toFixed(1)}x the destination) with the same urgent lines; the first ${SETTLE_S} s of each phase are not counted, and ${WARM_S} s of base load before it are a warm-up. The reference for each ratio is the same channel at base load in the same run.`,
    '',
    '| urgent channel | base p50 / p99 (lines) | flood p50 / p99 (lines) | flood p99, send -> Kafka | flood p99 ÷ base p99 | flood channel at the destination during the flood |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    `Aim (issue #11): flood p99 at most 1.5x base p99, and the destination kept fully used. Shed on the way (records, by criticality): router ${fmt(shed.routerDrops)}; agent ${fmt(shed.agentDrops)}; flood lines the agent's http input refused ${shed.refused.toLocaleString('en-US')} of ${shed.floodSent.toLocaleString('en-US')}. Peak RSS: ${rss}.`,
    '',
    ...results.map((r) => `![${r.e.label.urgent} latency over time](img/channels-${r.e.id}.svg)`),
  ].join('\n');
  console.log(md);
  if (opts['no-report']) return;
  replaceSection('docs/benchmarks.md', 'channels', md);
  for (const r of results) {
    fs.writeFileSync(
      `docs/img/channels-${r.e.id}.svg`,
      timeChartSvg({
        title: `${r.e.label.urgent} end-to-end latency, ${r.e.label.flood} flooding a ${CAPACITY.toLocaleString('en-US')}/s destination`,
        xUnit: 'seconds since the base phase began (send time)',
        yUnit: 'latency, s (log)',
        logY: true,
        series: [{ name: `${r.e.label.urgent} lines`, points: r.points }],
        phases: r.phases,
      }),
    );
  }
}

await main();
process.exit(0);
