/**
 * The demo's load: a few services' logs (several logIds, levels and importances, one noisy
 * clickstream, one unconfigured) posted as NDJSON to the local agent's HTTP input, the way
 * spillway/pino does, plus the small webhook receiver the demo's http sink posts to.
 * Loopback only, bounded: it stops by itself after --seconds (default 120) or on Ctrl-C.
 *
 *   node scripts/demo-load.ts --config examples/demo.yaml [--seconds 120] [--rate 500]
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'examples/demo.yaml' },
    seconds: { type: 'string', default: '120' },
    rate: { type: 'string', default: '500' },
    webhook: { type: 'string', default: '18080' },
  },
});
const config = await loadConfig(values.config!);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const httpInput = config.agent.inputs.find((i) => i.type === 'http');
if (!httpInput) throw new Error(`${values.config}: the demo load needs an agent http input`);
const url = `http://${httpInput.listen.host}:${httpInput.listen.port}/v1/lines`;

// The webhook the demo's http sink posts to: counts what it gets.
let webhookRecords = 0;
const webhook = http.createServer((req, res) => {
  let n = 0;
  req.on('data', (c: Buffer) => {
    for (const b of c) if (b === 0x0a) n++;
  });
  req.on('end', () => {
    webhookRecords += n;
    res.writeHead(200).end();
  });
});
await new Promise<void>((r) => webhook.listen(Number(values.webhook), '127.0.0.1', r));

const services = [
  { logId: 'payments', weight: 2, hosts: 2 },
  { logId: 'checkout', weight: 2, hosts: 3 },
  { logId: 'auth', weight: 2, hosts: 2 },
  { logId: 'catalog', weight: 1, hosts: 2 },
  { logId: 'search-indexer', weight: 1, hosts: 1 },
  { logId: 'reports', weight: 1, hosts: 1 },
  // The noisy one: mostly INFO, over its quota at the default rate.
  { logId: 'clickstream', weight: 10, hosts: 4 },
  { logId: 'legacy-cron', weight: 1, hosts: 1 }, // not configured: goes to the fallback logId
];
const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'];
const totalWeight = services.reduce((s, x) => s + x.weight, 0);
let seq = 0;

function line(): string {
  let pick = Math.random() * totalWeight;
  let svc = services[0]!;
  for (const s of services) {
    pick -= s.weight;
    if (pick < 0) {
      svc = s;
      break;
    }
  }
  const level = LEVELS[Math.floor(Math.random() * LEVELS.length)]!;
  return JSON.stringify({
    time: Date.now(),
    level,
    logId: svc.logId,
    host: `${svc.logId}-${seq % svc.hosts}`,
    msg: `${svc.logId} handled request ${seq}`,
    seq: seq++,
  });
}

const stats = { sent: 0, accepted: 0, retry: 0, rejected: 0, errors: 0 };
const end = Date.now() + seconds * 1000;
let stop = false;
process.once('SIGINT', () => {
  stop = true;
});
process.once('SIGTERM', () => {
  stop = true;
});
const tickMs = 200;
const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
let lastReport = Date.now();
while (!stop && Date.now() < end) {
  const t0 = Date.now();
  const body = `${Array.from({ length: perTick }, line).join('\n')}\n`;
  try {
    const res = await fetch(url, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
    const out = (await res.json()) as { accepted?: number; rejected?: { kind: string }[] };
    stats.sent += perTick;
    stats.accepted += out.accepted ?? 0;
    stats.retry += out.rejected?.filter((r) => r.kind === 'quota').length ?? 0;
    stats.rejected += out.rejected?.filter((r) => r.kind !== 'quota').length ?? 0;
  } catch {
    stats.errors++;
  }
  if (Date.now() - lastReport >= 5000) {
    lastReport = Date.now();
    console.log(
      `load: sent ${stats.sent}, agent accepted ${stats.accepted}, over quota ${stats.retry}, rejected ${stats.rejected}, webhook got ${webhookRecords}`,
    );
  }
  await new Promise((r) => setTimeout(r, Math.max(0, tickMs - (Date.now() - t0))));
}
console.log(
  `load: done after ${seconds} s or on request: sent ${stats.sent}, accepted ${stats.accepted}, webhook got ${webhookRecords}`,
);
webhook.close();
process.exit(0);
