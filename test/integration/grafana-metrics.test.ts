/**
 * The Grafana dashboard (deploy/grafana/spillway.json) and the alert rules
 * (deploy/prometheus/alerts.yaml) against the real /metrics of a real pipeline on the local
 * stack: a router, an agent shipping to it, an http sink whose receiver this test can make
 * fail, the monitor, and a second agent whose router never answers. The test makes every
 * event a query reads happen (lines refused by an input, records shed by quota at the
 * agent, a batch spilled to the gutter and drained, records dead-lettered, a spool full
 * and dropping, a config reload refused), scrapes the four components, and checks that
 * every metric each query reads has samples, with every label the query matches on or
 * groups by, and that every label value a query matches (`state="open"`,
 * `criticality=~"CRITICAL_PLUS|CRITICAL"`, `reason="refused"`, ...) is one a sample carries.
 * So a renamed metric, label or value fails here instead of leaving a panel or an alert
 * silently empty. `up` (and the job / instance labels) are Prometheus's own, not scraped.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { type RunningAgent, startAgent } from '../../agent/service.ts';
import { validateConfig } from '../../config/load.ts';
import { ConfigReloader } from '../../config/reload.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { createLogger } from '../../core/logger.ts';
import { type MetricsServer, startMetricsServer } from '../../core/metrics-server.ts';
import { Telemetry } from '../../core/telemetry.ts';
import { parsePromText } from '../../monitor/scrape.ts';
import { type RunningMonitor, startMonitor } from '../../monitor/service.ts';
import { provisionTopics } from '../../router/provision.ts';
import { type RunningRouter, startRouter } from '../../router/service.ts';
import { type RunningSink, startSink } from '../../sinks/runtime/sink-service.ts';
import { asPromql, promqlRefs, ROOT, TARGET_LABELS } from '../unit/deploy/promql-refs.ts';
import { clusters, waitFor } from './helpers/kafka.ts';
import { newRun } from './helpers/pipeline.ts';
import { scratch } from './helpers/scratch.ts';

/**
 * Metrics a query reads that this test cannot make appear as samples, each with why; they
 * must still be declared (# TYPE) in the scrapes. Empty: every metric the dashboard and the
 * alerts read gets a sample below. (spillway_config_reloads_total was to go here until the
 * live-reload work exported it; it has, and a refused reload below produces it.)
 */
const DECLARED_ONLY: Readonly<Record<string, string>> = {};

const run = newRun();
const SINK = `gm-http-${run}`;
const LOG_A = `gm-a-${run}`;
const LOG_S = `gm-s-${run}`;
/** Importance S with a quota of 1 record/s: the agent sheds its burst as CRITICAL. */
const LOG_Q = `gm-q-${run}`;
const TOKEN = 'it-grafana-agent-token-012345';
const MONITOR_TOKEN = 'it-grafana-monitor-token-0123';
const { tempDir } = scratch('spw-it-grafana-');

/** The http sink's destination: 400 for a body with "poison", 503 for the first body with "flaky", else 200. */
let flakyFailures = 0;
const receiver = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString();
    if (body.includes('poison')) res.writeHead(400).end('{"error":"poison"}');
    else if (body.includes('flaky') && flakyFailures++ === 0) res.writeHead(503).end();
    else res.writeHead(200).end();
  });
});

/** The config document (the reload step writes edited copies of it). */
let doc: ReturnType<typeof configDoc>;
let config: SpillwayConfig;
let router: RunningRouter;
let agent: RunningAgent;
/** An agent whose router never answers, with the smallest spool: it spools, then drops. */
let orphan: RunningAgent;
let sink: RunningSink;
const sinkTelemetry = new Telemetry('sink');
let sinkMetrics: MetricsServer;
let monitor: RunningMonitor;

/** What one component's /metrics says: metric -> label names seen on its samples, and the declared metrics. */
interface Scrape {
  samples: ReturnType<typeof parsePromText>;
  declared: Set<string>;
}

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(url, { headers });
  expect(res.status, url).toBe(200);
  const text = await res.text();
  const declared = new Set([...text.matchAll(/^# TYPE (\S+) \S+$/gm)].map((m) => m[1]!));
  return { samples: parsePromText(text), declared };
}

async function scrapeAll(): Promise<Record<'router' | 'agent' | 'orphan' | 'sink' | 'monitor', Scrape>> {
  const [r, a, o, s, m] = await Promise.all([
    scrape(`${router.url}/metrics`),
    scrape(`${agent.httpUrl}/metrics`),
    scrape(`${orphan.httpUrl}/metrics`),
    scrape(`${sinkMetrics.url}/metrics`),
    scrape(`${monitor.url}/metrics`, { authorization: `Bearer ${MONITOR_TOKEN}` }),
  ]);
  return { router: r, agent: a, orphan: o, sink: s, monitor: m };
}

async function postLines(to: RunningAgent, lines: string[]): Promise<number> {
  const res = await fetch(`${to.httpUrl}/v1/lines`, { method: 'POST', body: `${lines.join('\n')}\n` });
  await res.arrayBuffer();
  return res.status;
}

const line = (logId: string, level: string, msg: string, seq: number) =>
  JSON.stringify({ logId, level, msg: `${msg} ${seq}`, seq });

/** Every PromQL expression the dashboard and the alert rules run, with where it comes from. */
function queries(): { where: string; expr: string }[] {
  const dash = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana/spillway.json'), 'utf8')) as {
    templating: { list: { name: string; type: string; query: unknown }[] };
    panels: { title: string; targets?: { expr: string }[] }[];
  };
  const out = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr })));
  for (const v of dash.templating.list.filter((x) => x.type === 'query')) {
    const m = /^label_values\((.+),\s*(\w+)\)$/.exec(String(v.query))!;
    out.push({ where: `variable ${v.name}`, expr: `group by (${m[2]}) (${m[1]})` });
  }
  const rules = YAML.parse(fs.readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  for (const r of rules.groups.flatMap((g) => g.rules)) out.push({ where: `alert ${r.alert}`, expr: r.expr });
  return out.map((q) => ({ ...q, expr: asPromql(q.expr) }));
}

/** Three dedicated logIds on the main cluster, the http sink, the router and the monitor. */
function configDoc(receiverUrl: string) {
  const { main } = clusters();
  const logId = (id: string, importance: string, extra: Record<string, unknown> = {}) => ({
    id,
    name: id,
    owner: 'it',
    importance,
    sinks: [SINK],
    dedicated: true,
    lagThresholdSec: 30,
    ...extra,
  });
  return {
    clusters: [{ name: 'main', brokers: main.brokers }],
    pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
    channels: { dedicatedPartitionsPerTopic: 2, partitionsPerTopic: 2 },
    logIds: [
      logId(LOG_A, 'A'),
      logId(LOG_S, 'S'),
      logId(LOG_Q, 'S', { quota: { recordsPerSec: 1, bytesPerSec: 1_000_000 } }),
    ],
    sinks: [
      {
        type: 'http',
        name: SINK,
        url: receiverUrl,
        format: 'ndjson',
        requestTimeoutMs: 2_000,
        batch: { maxRecords: 50, lingerMs: 50 },
        gutter: { enabled: true },
      },
    ],
    router: { listen: { port: 0 }, tokens: [{ agent: 'it', token: TOKEN }], fallbackLogId: LOG_A },
    monitor: { listen: { port: 0 }, intervalMs: 500, token: MONITOR_TOKEN },
  };
}

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ingest`;
  doc = configDoc(receiverUrl);
  config = validateConfig(doc);
  await provisionTopics(config, undefined, ['main']);
  router = await startRouter(config, { admission: null });
  sink = await startSink(config, SINK, { telemetry: sinkTelemetry });
  sinkMetrics = await startMetricsServer(sinkTelemetry, { port: 0 });
  const agentDoc = (routerUrl: string, spoolDir: string) => ({
    ...doc,
    agent: {
      inputs: [{ type: 'http', listen: { port: 0 }, defaultLogId: LOG_A }],
      uplink: {
        url: routerUrl,
        token: TOKEN,
        compression: 'none',
        batch: { maxRecords: 500, lingerMs: 20 },
        requestTimeoutMs: 2_000,
        connectTimeoutMs: 500,
      },
      spool: { directory: spoolDir, fsync: 'never', maxBytes: 1_048_576 },
    },
  });
  agent = await startAgent(validateConfig(agentDoc(router.url, path.join(tempDir(), 'spool'))));
  // Port 9 (discard) on loopback: nothing listens, every send is refused at once.
  orphan = await startAgent(validateConfig(agentDoc('http://127.0.0.1:9', path.join(tempDir(), 'spool'))));
  monitor = await startMonitor(config);
}, 180_000);

afterAll(async () => {
  await monitor?.close();
  await orphan?.close();
  await agent?.close();
  await sink?.close();
  await sinkMetrics?.close();
  await router?.close();
  await new Promise<void>((r) => {
    receiver.close(() => r());
    receiver.closeAllConnections();
  });
});

describe('the dashboard and the alert rules query what the components export', () => {
  it('makes every event the queries read happen', async () => {
    // Delivered records of three tiers; a line the input refuses; a quota burst of an S logId
    // shed at the agent's edge as CRITICAL (info) and CRITICAL_PLUS (error).
    const lines = [
      ...Array.from({ length: 60 }, (_, i) => line(LOG_A, ['info', 'warn', 'error'][i % 3]!, 'ok', i)),
      ...Array.from({ length: 20 }, (_, i) => line(LOG_S, 'error', 'ok', i)),
      '{not json',
    ];
    expect(await postLines(agent, lines)).toBe(200);
    expect(
      await postLines(
        agent,
        Array.from({ length: 20 }, (_, i) => line(LOG_Q, i % 2 ? 'error' : 'info', 'burst', i)),
      ),
    ).toBe(200);
    await waitFor(
      '80 records delivered',
      async () => (await sinkTelemetry.value('spillway_records_delivered_total')) >= 80,
      60_000,
    );

    // The destination answers 503 once: the batch goes to the gutter, and the drainer delivers it.
    expect(
      await postLines(
        agent,
        Array.from({ length: 5 }, (_, i) => line(LOG_A, 'info', 'flaky', i)),
      ),
    ).toBe(200);
    await waitFor(
      'a batch spilled to the gutter and drained',
      async () =>
        (await sinkTelemetry.value('spillway_gutter_records_total', { direction: 'in' })) > 0 &&
        (await sinkTelemetry.value('spillway_gutter_records_total', { direction: 'out' })) > 0,
      60_000,
    );
    // The destination refuses a batch for good: dead letters.
    expect(
      await postLines(
        agent,
        Array.from({ length: 3 }, (_, i) => line(LOG_A, 'error', 'poison', i)),
      ),
    ).toBe(200);
    await waitFor('dead letters', async () => (await sinkTelemetry.value('spillway_dead_letters_total')) > 0, 60_000);

    // No router for the orphan: 1.5 MiB of incompressible lines overflow its 1 MiB spool.
    const big = (i: number) => line(LOG_A, 'info', randomBytes(512).toString('hex'), i);
    for (let b = 0; b < 3; b++)
      await postLines(
        orphan,
        Array.from({ length: 500 }, (_, i) => big(b * 500 + i)),
      );
    await waitFor('the orphan spool dropping batches', scrapeDrops, 60_000);

    // Refused reloads of the router's config, through the reloader the router command uses:
    // a file that does not validate, a change of a start-only key, a change whose apply fails.
    const file = path.join(tempDir(), 'router.yaml');
    const reloader = new ConfigReloader({
      file,
      component: 'router',
      current: config,
      apply: async () => {
        throw new Error('this test applies nothing');
      },
      telemetry: router.telemetry,
      log: createLogger('router'),
    });
    const reloadWith = async (text: string) => {
      fs.writeFileSync(file, text);
      return (await reloader.reload()).result;
    };
    expect(await reloadWith('clusters: [not, a, config\n')).toBe('invalid');
    expect(await reloadWith(JSON.stringify({ ...doc, router: { ...doc.router, listen: { port: 1 } } }))).toBe(
      'restart-required',
    );
    expect(
      await reloadWith(JSON.stringify({ ...doc, logIds: doc.logIds.map((l) => ({ ...l, lagThresholdSec: 31 })) })),
    ).toBe('failed');

    // The monitor: two samples of the sink, its logIds and tiers, so rates and seconds are known.
    await waitFor(
      'the monitor to publish lag seconds and throughput',
      async () => {
        const m = (await scrapeAll()).monitor.samples.map((s) => s.name);
        return [
          'spillway_consumer_lag_seconds',
          'spillway_consumer_throughput_records_per_second',
          'spillway_logid_lag_seconds',
          'spillway_tier_lag_seconds',
        ].every((n) => m.includes(n));
      },
      60_000,
    );
  });

  it('every metric, label and matched label value of every query is in the scrapes', async () => {
    // Some gauges are set on a timer (a sink's state every second) or per sample (the
    // monitor's): wait until every queried metric has samples, or for the timeout, after
    // which the assertion names what is missing.
    await waitFor(
      'every queried metric to have samples',
      async () => (await check()).problems.every((p) => !p.includes(': no sample of ')),
      30_000,
    ).catch(() => {});
    const { problems, checked, declared } = await check();
    expect(problems).toEqual([]);
    // The check covered the metrics the issue names, from all four components.
    for (const m of [
      'spillway_lag_threshold_breached',
      'spillway_records_delivered_total',
      'spillway_gutter_records_total',
      'spillway_dead_letters_total',
      'spillway_records_dropped_total',
      'spillway_spool_dropped_batches_total',
      'spillway_input_rejected_total',
      'spillway_config_reloads_total',
    ])
      expect(checked).toContain(m);
    expect(Object.keys(DECLARED_ONLY).every((m) => declared.has(m))).toBe(true);
  });
});

/**
 * Reads every query's metrics, labels and matched values against the components' scrapes;
 * returns what is missing, the metrics checked, and the metrics the scrapes declare.
 */
async function check(): Promise<{ problems: string[]; checked: Set<string>; declared: Set<string> }> {
  const scrapes = Object.values(await scrapeAll());
  const samples = scrapes.flatMap((s) => s.samples);
  const declared = new Set(scrapes.flatMap((s) => [...s.declared]));
  const problems: string[] = [];
  const labelsOf = (metric: string) =>
    new Set(samples.filter((s) => s.name === metric).flatMap((s) => Object.keys(s.labels)));
  const checked = new Set<string>();
  for (const q of queries()) {
    const refs = promqlRefs(q.expr);
    const available = new Set<string>(TARGET_LABELS);
    for (const sel of refs.selectors) {
      const metric = sel.metric!;
      if (metric === 'up') {
        // Prometheus's own series: only its target labels.
        for (const m of sel.matchers)
          if (!(TARGET_LABELS as readonly string[]).includes(m.label)) problems.push(`${q.where}: up{${m.label}}`);
        continue;
      }
      checked.add(metric);
      const labels = labelsOf(metric);
      if (labels.size === 0) {
        if (!(metric in DECLARED_ONLY)) problems.push(`${q.where}: no sample of ${metric} in any scrape`);
        else if (!declared.has(metric)) problems.push(`${q.where}: ${metric} is not even declared (# TYPE)`);
        continue;
      }
      for (const l of labels) available.add(l);
      for (const m of sel.matchers) {
        if ((TARGET_LABELS as readonly string[]).includes(m.label)) continue;
        if (!labels.has(m.label)) {
          problems.push(`${q.where}: ${metric} has no label ${m.label}`);
          continue;
        }
        // A matched value must be one some sample carries (variables match anything).
        if (m.value.includes('.*') || m.op.startsWith('!')) continue;
        const values = new Set(samples.filter((s) => s.name === metric).map((s) => s.labels[m.label]));
        const wanted = m.op === '=~' ? m.value.split('|') : [m.value];
        for (const v of wanted) if (!values.has(v)) problems.push(`${q.where}: no sample ${metric}{${m.label}="${v}"}`);
      }
    }
    for (const l of refs.groupingLabels)
      if (!available.has(l)) problems.push(`${q.where}: no metric of the query has label ${l}`);
  }
  return { problems, checked, declared };
}

/** The orphan agent's spool drops, as its /metrics reports them (refreshed on scrape). */
async function scrapeDrops(): Promise<boolean> {
  const s = await scrape(`${orphan.httpUrl}/metrics`);
  return s.samples.some((x) => x.name === 'spillway_spool_dropped_batches_total' && x.value > 0);
}
