/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against the
 * real pipeline on the real stack: a router, two sinks (`fast`, a blackhole, and `slow`, an
 * http sink whose receiver this test can make hang) with their /metrics, and the monitor
 * scraping them. Load goes through the router's HTTP API the whole time. The page must show
 * both sink names in its charts and a non-zero throughput; when the receiver hangs, the
 * page must show `slow` paused (its breaker open) with its lag rising while `fast` stays
 * caught up, and `slow` catching up once the receiver answers again.
 * A screenshot of each phase is kept under test-artifacts/.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../config/load.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { type MetricsServer, startMetricsServer } from '../../core/metrics-server.ts';
import { Telemetry } from '../../core/telemetry.ts';
import { type RunningMonitor, startMonitor } from '../../monitor/service.ts';
import { planPlacement } from '../../router/placement-plan.ts';
import { provisionTopics } from '../../router/provision.ts';
import { type RunningRouter, startRouter } from '../../router/service.ts';
import { type RunningSink, startSink } from '../../sinks/runtime/sink-service.ts';
import { clusters, waitFor } from './helpers/kafka.ts';
import { newRun } from './helpers/pipeline.ts';

const CHROMIUM = process.env.SPW_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const run = newRun();
const FAST = `fast-${run}`;
const SLOW = `slow-${run}`;
const LOG_ID = `dash-${run}`;
const TOKEN = 'it-dashboard-agent-token-0123';
const MONITOR_TOKEN = 'it-dashboard-monitor-token-42';

/** The slow sink's destination: answers at once, or holds every request while `hang` is set. */
let hang = false;
const held: http.ServerResponse[] = [];
let received = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (hang) {
      held.push(res);
      return;
    }
    received++;
    res.writeHead(200).end();
  });
});

let config: SpillwayConfig;
let router: RunningRouter;
let sinks: RunningSink[] = [];
let sinkMetrics: MetricsServer;
let monitor: RunningMonitor;
let browser: Browser;
let page: Page;
let load: NodeJS.Timeout | undefined;
let seq = 0;

async function postLoad(): Promise<void> {
  const lines = Array.from({ length: 20 }, () =>
    JSON.stringify({ logId: LOG_ID, level: 'info', host: 'h', msg: `record ${seq}`, seq: seq++ }),
  );
  await fetch(`${router.url}/v1/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
    body: `${lines.join('\n')}\n`,
  }).then((r) => r.arrayBuffer());
}

/** The number in a sink row's cell, as the page shows it ("1,234" -> 1234; "–" -> NaN). */
async function cellNumber(sink: string, field: 'lag' | 'throughput'): Promise<number> {
  const text = await page.locator(`#sinks tr[data-sink="${sink}"] td[data-field="${field}"]`).textContent();
  return Number((text ?? '').replaceAll(',', ''));
}

async function stateOf(sink: string): Promise<string> {
  return (await page.locator(`#sinks tr[data-sink="${sink}"] td[data-field="state"]`).textContent()) ?? '';
}

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (.ci/run does), or set SPW_CHROMIUM`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ingest`;
  const { main } = clusters();
  const doc = {
    clusters: [{ name: 'main', brokers: main.brokers }],
    pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
    channels: { dedicatedPartitionsPerTopic: 2, partitionsPerTopic: 2 },
    logIds: [{ id: LOG_ID, name: 'dashboard', owner: 'it', importance: 'A', sinks: [FAST, SLOW], dedicated: true }],
    sinks: [
      { type: 'blackhole', name: FAST },
      {
        type: 'http',
        name: SLOW,
        url: receiverUrl,
        format: 'ndjson',
        requestTimeoutMs: 1_000,
        batch: { maxRecords: 100, lingerMs: 100 },
        gutter: { enabled: true },
      },
    ],
    router: { listen: { port: 0 }, tokens: [{ agent: 'it', token: TOKEN }], fallbackLogId: LOG_ID },
    // 2 s: every sample spans at least one of the sinks' 1 s commits, so a healthy sink
    // never reads as "no progress".
    monitor: { listen: { port: 0 }, intervalMs: 2_000, token: MONITOR_TOKEN },
  };
  config = validateConfig(doc);
  await provisionTopics(config, undefined, ['main']);
  router = await startRouter(config, { admission: null });
  const sinkTelemetry = new Telemetry('sink');
  sinks = await Promise.all([FAST, SLOW].map((name) => startSink(config, name, { telemetry: sinkTelemetry })));
  sinkMetrics = await startMetricsServer(sinkTelemetry, { port: 0 });
  monitor = await startMonitor(
    validateConfig({
      ...doc,
      monitor: {
        ...doc.monitor,
        scrape: [
          { name: 'router', url: `${router.url}/metrics` },
          { name: 'sinks', url: `${sinkMetrics.url}/metrics` },
        ],
      },
    }),
  );
  load = setInterval(() => void postLoad().catch(() => {}), 100);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-default-apps',
      '--disable-sync',
      '--no-first-run',
      '--metrics-recording-only',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
}, 180_000);

afterAll(async () => {
  clearInterval(load);
  hang = false;
  for (const r of held.splice(0)) r.writeHead(200).end();
  await browser?.close();
  await monitor?.close();
  await Promise.all(sinks.map((s) => s.close()));
  await sinkMetrics?.close();
  await router?.close();
  await new Promise<void>((r) => {
    receiver.close(() => r());
    receiver.closeAllConnections();
  });
});

describe('dashboard in chromium', () => {
  it('serves the page, its charts and the placement plan, and refuses the API without the token', async () => {
    const noToken = await fetch(`${monitor.url}/api/state`);
    expect(noToken.status).toBe(401);
    await page.goto(`${monitor.url}/#token=${MONITOR_TOKEN}`);
    await page.waitForSelector(`#sinks tr[data-sink="${SLOW}"]`, { timeout: 30_000 });
    expect(await page.locator('#status').textContent()).toBe('live');
    // The placement plan names the logId's dedicated topic on the main cluster.
    const planRow = page.locator('#plan tbody tr', { hasText: LOG_ID });
    await expect.poll(() => planRow.count()).toBe(1);
    expect(await planRow.locator('td').nth(2).textContent()).toBe('main');
    const planned = planPlacement(config).logIds.find((l) => l.id === LOG_ID)!;
    const topicsCell = await planRow.locator('td').nth(3).textContent();
    for (const [cls, topic] of Object.entries(planned.topics)) expect(topicsCell).toContain(`${cls}: ${topic}`);
    expect(topicsCell).toContain('(dedicated)');
    // Charts carry the live sink names as series, in their legends.
    for (const chart of ['#chart-lag', '#chart-throughput']) {
      expect(await page.locator(chart).getAttribute('data-series')).toBe([FAST, SLOW].sort().join(','));
      const legend = await page.locator(`${chart} .u-legend`).textContent();
      expect(legend).toContain(FAST);
      expect(legend).toContain(SLOW);
    }
    expect(await page.locator('#chart-lag canvas').count()).toBe(1);
  });

  it('shows non-zero throughput for both sinks while load flows', async () => {
    await waitFor(
      'both sinks show throughput on the page',
      async () => {
        const [f, s] = await Promise.all([cellNumber(FAST, 'throughput'), cellNumber(SLOW, 'throughput')]);
        return f > 0 && s > 0;
      },
      60_000,
    );
    await waitFor('the fast sink shown healthy', async () => (await stateOf(FAST)) === 'healthy', 15_000);
    // The scraped router is up and listed.
    expect(await page.locator('#targets').textContent()).toContain(`router ${router.url}/metrics: up`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-live.png'), fullPage: true });
  });

  it('shows the stalled sink paused with its lag rising while the other stays caught up, then recovering', async () => {
    hang = true;
    const lagAtStall = await cellNumber(SLOW, 'lag');
    let peak = 0;
    await waitFor(
      'the slow sink lag rises on the page',
      async () => {
        peak = await cellNumber(SLOW, 'lag');
        return peak > lagAtStall + 1_000;
      },
      90_000,
    );
    // Isolation: the blackhole sink keeps consuming the same topic; its lag stays under a
    // few seconds of load (20 records per 100 ms) while the slow one's is past 1000. Waited
    // for, not read once: one 1 s sample may fall between two of the blackhole's commits
    // and show 0 records/s.
    await waitFor(
      'the fast sink shown caught up and consuming',
      async () => (await cellNumber(FAST, 'lag')) < 1_000 && (await cellNumber(FAST, 'throughput')) > 0,
      30_000,
    );
    // Every request hangs: the sink's breaker opens, it pauses its partitions and probes
    // (sinks/runtime/sink-worker.ts), and the page says so from the sink's own /metrics.
    await waitFor('the slow sink is shown paused', async () => (await stateOf(SLOW)) === 'paused', 60_000);
    // Per tier: the stalled sink's INFO (the load is all INFO of an A logId) is behind, the other's is not.
    const tierLag = async (sink: string, tier: string) =>
      Number(
        ((await page.locator(`#tiers tr[data-tier="${sink}/${tier}"] td`).nth(2).textContent()) ?? '').replace(
          /[^0-9.]/g,
          '',
        ),
      );
    await waitFor(
      'the per-tier table shows the slow sink behind on INFO and importance A',
      async () => (await tierLag(SLOW, 'level_class/info')) > 1_000 && (await tierLag(SLOW, 'importance/A')) > 1_000,
      30_000,
    );
    expect(await tierLag(FAST, 'level_class/info')).toBeLessThan(1_000);
    // One series per sink and level class it reads (error, warn and info topics of the logId).
    expect(await page.locator('#chart-tier').getAttribute('data-series')).toBe(
      [FAST, SLOW]
        .flatMap((s) => ['error', 'info', 'warn'].map((c) => `${s}/${c}`))
        .sort()
        .join(','),
    );
    await waitFor('the fast sink shown healthy', async () => (await stateOf(FAST)) === 'healthy', 15_000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-stalled.png'), fullPage: true });
    expect(fs.statSync(path.join(ARTIFACTS, 'dashboard-stalled.png')).size).toBeGreaterThan(10_000);

    hang = false;
    for (const r of held.splice(0)) r.writeHead(200).end();
    const before = received;
    await waitFor(
      'the slow sink catches up after the stall',
      async () => (await cellNumber(SLOW, 'lag')) < 1_000,
      120_000,
    );
    expect(received).toBeGreaterThan(before);
  });
});
