/**
 * The demo's `--stall <sink>`: a reverse proxy in front of one sink's destination that
 * answers normally, then holds every request for a while (the destination "hangs": no
 * error, no answer), then lets them through again. Only that sink's process is pointed at
 * it, so the demo shows the stalled sink pausing and lagging while the others stay flat,
 * and catching up afterwards. Loopback only; it stops by itself after --seconds.
 *
 *   node scripts/stall-proxy.ts --target http://127.0.0.1:19200 --port 19299 \
 *     --stall-after 30 --stall-for 45 --seconds 120
 */
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    port: { type: 'string' },
    'stall-after': { type: 'string', default: '30' },
    'stall-for': { type: 'string', default: '45' },
    seconds: { type: 'string', default: '120' },
  },
});
for (const k of ['target', 'port'] as const) {
  if (!values[k]) throw new Error(`stall-proxy: --${k} is required`);
}
const target = new URL(values.target!);
const startedAt = Date.now();
const stallFrom = startedAt + Number(values['stall-after']) * 1000;
const stallUntil = stallFrom + Number(values['stall-for']) * 1000;
const agent = new http.Agent({ keepAlive: true });
let held = 0;

function forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
      agent,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`stall proxy: ${err.message}`);
  });
  upstream.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const now = Date.now();
    if (now >= stallFrom && now < stallUntil) {
      // Hanging: no answer until the stall ends (the client's own timeout usually fires first).
      held++;
      setTimeout(() => {
        if (!res.destroyed) forward(req, body, res);
      }, stallUntil - now);
      return;
    }
    forward(req, body, res);
  });
});
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(
    `stall-proxy: ${values.target} behind http://127.0.0.1:${values.port}; hangs from +${values['stall-after']} s for ${values['stall-for']} s`,
  );
});
let wasStalled = false;
const report = setInterval(() => {
  const stalled = Date.now() >= stallFrom && Date.now() < stallUntil;
  if (stalled !== wasStalled) {
    console.log(
      stalled ? 'stall-proxy: destination now hangs' : `stall-proxy: destination answers again (${held} requests held)`,
    );
    wasStalled = stalled;
  }
}, 500);
setTimeout(() => {
  clearInterval(report);
  server.close();
  server.closeAllConnections();
  agent.destroy();
}, Number(values.seconds) * 1000).unref();
process.once('SIGTERM', () => process.exit(0));
process.once('SIGINT', () => process.exit(0));
