/**
 * The shipper's promises: ship() resolves only for lines stored (router or spool) and
 * rejects when neither took them, so an input never acknowledges a line it lost.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Shipper } from '../../../agent/shipper.ts';
import { Spool } from '../../../agent/spool/spool.ts';
import { UplinkClient } from '../../../agent/uplink/uplink-client.ts';
import { createLogger } from '../../../core/logger.ts';
import type { Criticality } from '../../../core/resilience/criticality.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A shipper to `url` (default: port 1, where nothing listens: the router is down). */
async function shipper(maxBytes: number, url = 'http://127.0.0.1:1', requestTimeoutMs = 500) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-shipper-'));
  dirs.push(dir);
  const spool = await Spool.open({ directory: dir, maxBytes, fsync: 'never' });
  const uplink = new UplinkClient({ url, compression: 'none', requestTimeoutMs, random: () => 0.99 });
  const s = new Shipper({
    uplink,
    compression: 'none',
    spool,
    batch: { maxRecords: 10, maxBytes: 1_000_000, lingerMs: 5 },
    log: createLogger('test'),
  });
  return { s, spool };
}

const lines = (n: number) =>
  Array.from({ length: n }, (_, i) => Buffer.from(JSON.stringify({ logId: 'x', level: 'info', seq: i })));

describe('Shipper', () => {
  it('with the router down, settles lines in the spool: ship() resolves and they are counted as spooled', async () => {
    const { s, spool } = await shipper(1024 * 1024);
    await s.ship(lines(10), 'CRITICAL');
    expect(s.stats).toMatchObject({ spooled: 10, dropped: 0 });
    expect(spool.stats().entries).toBe(1);
    await s.close();
    await spool.close();
  });

  it('rejects ship() when the spool cannot take the batch either, and counts the lines as dropped', async () => {
    const { s, spool } = await shipper(64);
    await expect(s.ship(lines(10), 'SHEDDABLE')).rejects.toThrow(
      /^the spool refused the batch \((rejected|too-large)\)$/,
    );
    expect(s.stats).toMatchObject({ spooled: 0, dropped: 10 });
    await s.close();
    await spool.close();
  });

  it('refuses new lines once closing, instead of accepting what it can no longer store', async () => {
    const { s, spool } = await shipper(1024 * 1024);
    await s.close();
    await expect(s.ship(lines(1), 'CRITICAL')).rejects.toThrow('agent is shutting down');
    await spool.close();
  });
});

/**
 * A stand-in router on loopback (the uplink protocol is ours; Kafka is not involved): it
 * records the criticality header of each batch, answers 200 while `up`, 503 otherwise, and
 * holds answers while `held` so batches pile up behind one in flight.
 */
async function fakeRouter() {
  const seen: { criticality: string; lines: number }[] = [];
  /** Criticality of each request as it arrived (before any answer). */
  const arrived: string[] = [];
  const state = { up: true, held: false };
  const waiting: (() => void)[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      arrived.push(String(req.headers['x-spillway-criticality']));
      const answer = () => {
        if (!state.up) {
          res.writeHead(503, { 'retry-after': '0' }).end('{"error":"down"}');
          return;
        }
        const n = Buffer.concat(chunks).toString().split('\n').filter(Boolean).length;
        seen.push({ criticality: String(req.headers['x-spillway-criticality']), lines: n });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: n, rejected: [] }));
      };
      if (state.held) waiting.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/batches`,
    seen,
    arrived,
    state,
    release() {
      state.held = false;
      for (const w of waiting.splice(0)) w();
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const shipperTo = (url: string) => shipper(64 * 1024 * 1024, url, 5_000);

describe('Shipper priority', () => {
  it('an ERROR batch goes out at once, while an INFO batch is unanswered, ahead of the queued INFO batches', async () => {
    const router = await fakeRouter();
    const { s, spool } = await shipperTo(router.url);
    try {
      router.state.held = true;
      const shipped: Promise<void>[] = [];
      // One SHEDDABLE batch goes out and is held; nine more queue behind it.
      for (let i = 0; i < 10; i++) {
        shipped.push(s.ship(lines(10), 'SHEDDABLE'));
        await new Promise((r) => setTimeout(r, 5));
      }
      shipped.push(s.ship(lines(10), 'CRITICAL_PLUS'));
      shipped.push(s.ship(lines(10), 'SHEDDABLE_PLUS'));
      // One batch of each criticality is out; the other nine SHEDDABLE wait their turn.
      await expect.poll(() => router.arrived.length, { timeout: 3_000 }).toBe(3);
      await new Promise((r) => setTimeout(r, 50));
      expect(router.arrived[0]).toBe('SHEDDABLE');
      expect([...router.arrived].sort()).toEqual(['CRITICAL_PLUS', 'SHEDDABLE', 'SHEDDABLE_PLUS']);
      router.release();
      await Promise.all(shipped);
      const order = router.seen.map((b) => b.criticality);
      expect(order).toEqual([
        'SHEDDABLE',
        'CRITICAL_PLUS',
        'SHEDDABLE_PLUS',
        ...Array.from({ length: 9 }, () => 'SHEDDABLE'),
      ]);
      expect(s.stats).toMatchObject({ shipped: 120, spooled: 0, dropped: 0 });
    } finally {
      router.release();
      await s.close();
      await spool.close();
      await router.close();
    }
  });

  it('replays the spool highest criticality first, and sends ERROR direct while only INFO is spooled', async () => {
    const router = await fakeRouter();
    const { s, spool } = await shipperTo(router.url);
    try {
      router.state.up = false;
      const ship = (c: Criticality) => s.ship(lines(10), c);
      for (let i = 0; i < 3; i++) await ship('SHEDDABLE');
      await ship('CRITICAL');
      await ship('SHEDDABLE');
      expect(spool.stats().entriesByCriticality).toMatchObject({ SHEDDABLE: 4, CRITICAL: 1 });
      router.state.up = true;
      await expect.poll(() => spool.stats().entries, { timeout: 10_000 }).toBe(0);
      // The CRITICAL entry, spooled fourth, is replayed first.
      expect(router.seen.map((b) => b.criticality)).toEqual([
        'CRITICAL',
        'SHEDDABLE',
        'SHEDDABLE',
        'SHEDDABLE',
        'SHEDDABLE',
      ]);
      // With INFO spooled again, a more critical batch does not wait behind it.
      router.state.up = false;
      await ship('SHEDDABLE');
      router.state.up = true;
      router.seen.length = 0;
      await ship('CRITICAL_PLUS');
      expect(router.seen[0]?.criticality).toBe('CRITICAL_PLUS');
      expect(s.stats).toMatchObject({ shipped: 10, spooled: 60, dropped: 0 });
    } finally {
      await s.close();
      await spool.close();
      await router.close();
    }
  });
});
