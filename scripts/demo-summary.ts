/**
 * The closing table of `npm run demo`, printed while the pipeline still runs: it waits (up
 * to --wait-s) for every sink to catch up, refreshes OpenSearch so the counts include what
 * was indexed last (a search index shows new documents only after a refresh, every 1 s by
 * default, and not at all while it is idle), then prints per sink what it delivered, what
 * it spilled to its gutter and dead-letter topics (its own counters: this run only), its lag
 * and state, and the documents per logId OpenSearch gained since --search-before.
 *
 *   node scripts/demo-summary.ts --config examples/demo.yaml [--monitor-url URL]
 *     [--first-sink-port 7081] [--search-url URL] [--wait-s 60] [--search-before FILE]
 *   node scripts/demo-summary.ts --search-url URL --save-search-counts FILE
 *
 * The second form, before the pipeline starts, saves the documents per logId already there
 * (the stack keeps its data between runs). Sinks are read on --first-sink-port, +1, ... in
 * config order, as scripts/demo.sh starts them.
 */
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import type { LagReport } from '../monitor/lag.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'examples/demo.yaml' },
    'monitor-url': { type: 'string', default: 'http://127.0.0.1:7072' },
    'first-sink-port': { type: 'string', default: '7081' },
    'search-url': { type: 'string', default: process.env.SPW_SEARCH_URL ?? 'http://127.0.0.1:19200' },
    'wait-s': { type: 'string', default: '60' },
    'search-before': { type: 'string' },
    'save-search-counts': { type: 'string' },
  },
});
const search = values['search-url']!.replace(/\/+$/, '');
/** Each HTTP read may take this long: the pipeline is local, an answer takes milliseconds. */
const FETCH_TIMEOUT_MS = 5_000;

async function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
}

/** Documents per logId in the logs-* indices, after a refresh (none yet: an empty map). */
async function searchCounts(): Promise<Map<string, number>> {
  await get(`${search}/logs-*/_refresh`, { method: 'POST' });
  const res = await get(`${search}/_cat/indices/logs-*?format=json&h=index,docs.count`);
  if (!res.ok) throw new Error(`GET _cat/indices: HTTP ${res.status}`);
  const byLogId = new Map<string, number>();
  for (const i of (await res.json()) as { index: string; 'docs.count': string }[]) {
    const logId = /^logs-(.+)-\d{4}\.\d{2}\.\d{2}$/.exec(i.index)?.[1] ?? i.index;
    byLogId.set(logId, (byLogId.get(logId) ?? 0) + Number(i['docs.count']));
  }
  return byLogId;
}

if (values['save-search-counts']) {
  const counts = await searchCounts().catch(() => new Map<string, number>());
  fs.writeFileSync(values['save-search-counts'], `${JSON.stringify(Object.fromEntries(counts))}\n`);
  process.exit(0);
}

const config = await loadConfig(values.config!);
const sinks = config.sinks.map((s, i) => ({
  name: s.name,
  type: s.type,
  metricsUrl: `http://127.0.0.1:${Number(values['first-sink-port']) + i}/metrics`,
}));

async function lagReport(): Promise<LagReport | undefined> {
  try {
    const res = await get(`${values['monitor-url']}/api/state`);
    return res.ok ? ((await res.json()) as LagReport) : undefined;
  } catch {
    return undefined;
  }
}

/** Sum of a counter's samples whose labels include all of `labels`, from Prometheus text. */
function sumCounter(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}

// 1. Let the sinks catch up with what the load generator sent last.
const waitMs = Number(values['wait-s']) * 1000;
const t0 = Date.now();
let report = await lagReport();
const behind = (r: LagReport | undefined) =>
  r === undefined || r.sinks.some((s) => s.lagRecords > 0 || s.drainerLag > 0);
while (behind(report) && Date.now() - t0 < waitMs) {
  await sleep(2_000);
  report = await lagReport();
}

// 2. What each sink delivered, from its own /metrics.
const rows = [['SINK', 'TYPE', 'DELIVERED', 'GUTTER IN', 'DEAD LETTERS', 'LAG', 'STATE']];
for (const s of sinks) {
  const text = await get(s.metricsUrl)
    .then((r) => r.text())
    .catch(() => '');
  const lag = report?.sinks.find((x) => x.sink === s.name);
  rows.push([
    s.name,
    s.type,
    text ? String(sumCounter(text, 'spillway_records_delivered_total', { sink: s.name })) : '?',
    text ? String(sumCounter(text, 'spillway_gutter_records_total', { sink: s.name, direction: 'in' })) : '?',
    text ? String(sumCounter(text, 'spillway_dead_letters_total', { sink: s.name })) : '?',
    lag ? String(lag.lagRecords + lag.drainerLag) : '?',
    lag?.state ?? 'unknown',
  ]);
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
const numeric = new Set([2, 3, 4, 5]);
for (const r of rows) {
  console.log(
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
if (behind(report)) {
  console.log(`(the sinks had not caught up after ${values['wait-s']} s; lag is what was left then)`);
}

// 3. Documents per logId OpenSearch gained during the run, after a refresh.
try {
  const before = new Map<string, number>(
    values['search-before'] ? Object.entries(JSON.parse(fs.readFileSync(values['search-before'], 'utf8'))) : [],
  );
  const after = await searchCounts();
  const added = [...after.entries()]
    .map(([id, n]) => [id, n - (before.get(id) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b));
  const total = added.reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `\nOpenSearch ${search}: ${total} documents added (${added.map(([id, n]) => `${id} ${n}`).join(', ') || 'none'})`,
  );
} catch (err) {
  console.log(`\nOpenSearch ${search}: not readable (${(err as Error).message})`);
}
