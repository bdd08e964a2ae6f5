/**
 * The load of `npm run demo` and the sample service of docker-compose.yml: a few
 * "services" (several logIds, levels and importances, clickstream the noisy one) logging
 * through `spillway/pino` to the agent, the way a real Node service would, plus the
 * webhook the configs' http sink posts to.
 *
 *   node examples/sample-service.ts
 *
 * Environment (defaults suit a laptop with `npm run demo`'s agent):
 * - SPILLWAY_AGENT_URL   the agent's http input (http://127.0.0.1:9880)
 * - SAMPLE_HOST          address the webhook listens on (127.0.0.1; compose sets 0.0.0.0)
 * - SAMPLE_PORT          port of the webhook receiver and /healthz (18080)
 * - SAMPLE_RATE          log lines per second over all logIds (50)
 * - SAMPLE_SECONDS       stop by itself after this long (unset: run until SIGTERM / SIGINT)
 * - SAMPLE_KEEP_WEBHOOK  1: when SAMPLE_SECONDS are up, stop logging but keep the webhook
 *                        answering until SIGTERM / SIGINT, so the http sink can deliver what
 *                        is still on its way (`npm run demo` prints its closing table then)
 * - SAMPLE_REPORT_MS     how often it prints its progress (30000)
 * - SAMPLE_FILE_LOG      also append plain-text lines to this file, which the agent's file
 *                        input tails (unset: no file)
 * - SPW_WEBHOOK_TOKEN    bearer token the webhook requires (unset: none)
 *
 * `spillway/pino` resolves through the package's own "exports" (a self-reference), so this
 * file must sit inside the spillway package directory, as it does in the image (/app).
 */
import { appendFile } from 'node:fs/promises';
import http from 'node:http';
import { pino } from 'pino';

const agentUrl = process.env.SPILLWAY_AGENT_URL ?? 'http://127.0.0.1:9880';
const host = process.env.SAMPLE_HOST ?? '127.0.0.1';
const port = Number(process.env.SAMPLE_PORT ?? 18080);
const seconds = process.env.SAMPLE_SECONDS === undefined ? undefined : Number(process.env.SAMPLE_SECONDS);
const reportMs = Number(process.env.SAMPLE_REPORT_MS ?? 30_000);
const rate = Number(process.env.SAMPLE_RATE ?? 50);
const fileLog = process.env.SAMPLE_FILE_LOG;
const webhookToken = process.env.SPW_WEBHOOK_TOKEN;
const keepWebhook = process.env.SAMPLE_KEEP_WEBHOOK === '1';

/** logIds of examples/compose.yaml, plus one that is not configured (it goes to the fallback logId). */
const SERVICES = [
  { logId: 'payments', weight: 2 },
  { logId: 'checkout', weight: 2 },
  { logId: 'auth', weight: 2 },
  { logId: 'catalog', weight: 1 },
  { logId: 'search-indexer', weight: 1 },
  { logId: 'clickstream', weight: 6 },
  { logId: 'legacy-cron', weight: 1 },
] as const;
const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'] as const;

const root = pino({
  level: 'trace',
  transport: { targets: [{ target: 'spillway/pino', options: { url: agentUrl }, level: 'trace' }] },
});
const loggers = SERVICES.flatMap((s) => Array.from({ length: s.weight }, () => root.child({ logId: s.logId })));

let webhookRecords = 0;
const server = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  if (req.method !== 'POST' || path !== '/ingest') {
    res.writeHead(404).end();
    return;
  }
  if (webhookToken && req.headers.authorization !== `Bearer ${webhookToken}`) {
    res.writeHead(401).end();
    req.resume();
    return;
  }
  let n = 0;
  req.on('data', (chunk: Buffer) => {
    for (const b of chunk) if (b === 0x0a) n++;
  });
  req.on('end', () => {
    webhookRecords += n;
    res.writeHead(200).end();
  });
});
await new Promise<void>((resolve) => server.listen(port, host, resolve));
console.log(
  `sample-service: webhook on ${host}:${port}/ingest, logging to ${agentUrl} at ${rate} lines/s` +
    (seconds === undefined ? '' : ` for ${seconds} s`),
);

let seq = 0;
const tick = setInterval(
  () => {
    const logger = loggers[seq % loggers.length]!;
    const level = LEVELS[seq % LEVELS.length]!;
    logger[level]({ seq, orderId: `o-${seq % 977}` }, `${level} event ${seq}`);
    if (fileLog && seq % 10 === 0) {
      appendFile(fileLog, `${new Date().toISOString()} report step ${seq} done\n`).catch((err: Error) =>
        console.error(`sample-service: cannot append to ${fileLog}: ${err.message}`),
      );
    }
    seq++;
  },
  Math.max(1, Math.round(1000 / rate)),
);
const report = setInterval(() => console.log(`sample-service: logged ${seq}, webhook got ${webhookRecords}`), reportMs);

function stopLogging(): void {
  clearInterval(tick);
  clearInterval(report);
  clearTimeout(timer);
}
function stop(): void {
  stopLogging();
  // pino ends the transport when the process exits; its close() ships what is buffered.
  server.close(() => console.log(`sample-service: stopped after ${seq} lines, webhook got ${webhookRecords}`));
  server.closeAllConnections();
}
function timeUp(): void {
  if (!keepWebhook) {
    stop();
    return;
  }
  // The transport keeps flushing every 200 ms while the process lives.
  stopLogging();
  console.log(`sample-service: logging done after ${seq} lines; the webhook answers until SIGTERM`);
}
const timer = seconds === undefined ? undefined : setTimeout(timeUp, seconds * 1000);
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, stop);
