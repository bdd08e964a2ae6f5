/**
 * Regression: aborting a bulk request that hangs (the destination accepted the connection
 * and never answers) must settle as 'unreachable' and leave nothing behind. It used to
 * also throw RequestAbortedError as an uncaught exception a tick later, which killed the
 * sink process (found with `npm run demo -- --stall search`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openSearchClient } from '../../../sinks/opensearch/client.ts';

const hanging = http.createServer((req) => req.resume());
let url: string;

beforeAll(async () => {
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
});

afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise<void>((r) => hanging.close(() => r()));
});

it('settles an aborted hanging bulk as unreachable without an uncaught exception', async () => {
  const uncaught: Error[] = [];
  const record = (err: Error) => uncaught.push(err);
  process.on('uncaughtException', record);
  try {
    const client = openSearchClient({ type: 'opensearch', name: 's', nodes: [url], requestTimeoutMs: 30_000 } as never);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const reply = await client.bulk(Buffer.from('{"index":{}}\n{}\n'), ac.signal);
    expect(reply).toEqual({ kind: 'unreachable', reason: 'RequestAbortedError: Request aborted' });
    await sleep(200);
    expect(uncaught.map((e) => e.message)).toEqual([]);
    await client.close();
  } finally {
    process.off('uncaughtException', record);
  }
});
