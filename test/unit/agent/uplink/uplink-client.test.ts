/** A rotated uplink token (config reload) is on the very next request, the old one on none after. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UplinkClient } from '../../../../agent/uplink/uplink-client.ts';

describe('UplinkClient.setToken', () => {
  const seen: (string | undefined)[] = [];
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    // A stand-in router on loopback that records the Authorization header of each batch.
    server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      req.on('end', () => res.writeHead(200).end('{"accepted":1,"rejected":[]}'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the new token from the next request on, and none when it is taken away', async () => {
    const c = new UplinkClient({ url, token: 'old-token', compression: 'none', requestTimeoutMs: 2_000 });
    const body = await c.encode([Buffer.from('{"logId":"x"}')]);
    await c.send(body, 'CRITICAL');
    c.setToken('new-token');
    await c.send(body, 'CRITICAL');
    await c.send(body, 'CRITICAL');
    c.setToken(undefined);
    await c.send(body, 'CRITICAL');
    expect(seen).toEqual(['Bearer old-token', 'Bearer new-token', 'Bearer new-token', undefined]);
  });
});
