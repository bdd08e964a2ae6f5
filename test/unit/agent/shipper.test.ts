/**
 * The shipper's promises: ship() resolves only for lines stored (router or spool) and
 * rejects when neither took them, so an input never acknowledges a line it lost.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Shipper } from '../../../agent/shipper.ts';
import { Spool } from '../../../agent/spool/spool.ts';
import { UplinkClient } from '../../../agent/uplink/uplink-client.ts';
import { createLogger } from '../../../core/logger.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function shipper(maxBytes: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-shipper-'));
  dirs.push(dir);
  const spool = await Spool.open({ directory: dir, maxBytes, fsync: 'never' });
  // Nothing listens on port 1: the router is down.
  const uplink = new UplinkClient({
    url: 'http://127.0.0.1:1',
    compression: 'none',
    requestTimeoutMs: 500,
    random: () => 0.99,
  });
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
