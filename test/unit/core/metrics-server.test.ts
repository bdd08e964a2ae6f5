import { afterEach, describe, expect, it } from 'vitest';
import { type MetricsServer, startMetricsServer } from '../../../core/metrics-server.ts';
import { Telemetry } from '../../../core/telemetry.ts';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('metrics server', () => {
  it('serves the component metrics, health and readiness on loopback', async () => {
    const t = new Telemetry('sink');
    t.inc('spillway_records_delivered_total', { sink: 'search' }, 42);
    let ready = true;
    server = await startMetricsServer(t, {
      port: 0,
      ready: () => ({ ready, detail: { sinks: { search: ready ? 'ok' : 'destination down' } } }),
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('spillway_records_delivered_total{component="sink",sink="search"} 42');
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('ok\n');
    const r1 = await fetch(`${server.url}/readyz`);
    expect([r1.status, await r1.json()]).toEqual([200, { ready: true, sinks: { search: 'ok' } }]);
    ready = false;
    const r2 = await fetch(`${server.url}/readyz`);
    expect([r2.status, await r2.json()]).toEqual([503, { ready: false, sinks: { search: 'destination down' } }]);
    expect((await fetch(`${server.url}/nope`)).status).toBe(404);
  });
});
