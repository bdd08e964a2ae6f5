/**
 * Global quota through the real Redis on 127.0.0.1:6379: two routers (QuotaManagers with
 * different instanceIds, one key prefix) over-driving one logId together are held to the
 * global capacity; an unreachable Redis never blocks a check. Every test uses a random
 * key prefix and deletes its keys.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { routerQuotaSchema } from '../../config/router.ts';
import { type QuotaLogId, QuotaManager } from '../../router/quota/quota-manager.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';
const CAPACITY = 1000;
const logIds: QuotaLogId[] = [{ id: 'checkout', importance: 'A' }];
const prefixes: string[] = [];

function router(instanceId: string, prefix: string, redisUrl = REDIS_URL): QuotaManager {
  const quota = routerQuotaSchema.parse({
    redisUrl,
    keyPrefix: prefix,
    instanceId,
    leaseMs: 200,
    demandWindowMs: 1000,
    globalRecordsPerSec: CAPACITY,
    burstMs: 200,
  });
  return new QuotaManager({ logIds, quota });
}

/**
 * Calls check(logId, batch) on every router at a steady pace (one batch per router every
 * `everyMs`, catching up after a late timer) for `durationMs`; returns the records admitted
 * by each router.
 */
async function drive(routers: QuotaManager[], durationMs: number, batch = 8, everyMs = 10): Promise<number[]> {
  const admitted = routers.map(() => 0);
  const start = performance.now();
  let done = 0;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs) break;
    const due = Math.floor(elapsed / everyMs) + 1;
    for (; done < due; done++) {
      routers.forEach((r, i) => {
        if (r.check('checkout', batch, batch * 100).ok) admitted[i]! += batch;
      });
    }
    await sleep(5);
  }
  return admitted;
}

afterAll(async () => {
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  await redis.connect();
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

describe('global quota over Redis', () => {
  it('holds two routers over-driving one logId to the global capacity (within 10%)', async () => {
    const prefix = `spw:test:quota:${randomUUID()}`;
    prefixes.push(prefix);
    const a = router('router-a', prefix);
    const b = router('router-b', prefix);
    a.start();
    b.start();
    try {
      // 800 rec/s asked of each router, 1600 in all: settle the leases for 7 lease periods
      await drive([a, b], 1400);
      expect(a.stats()).toMatchObject({ redis: 'ok', source: 'lease', instances: 2 });
      expect(b.stats()).toMatchObject({ redis: 'ok', source: 'lease', instances: 2 });
      const start = performance.now();
      const admitted = await drive([a, b], 3000);
      const seconds = (performance.now() - start) / 1000;
      const rate = (admitted[0]! + admitted[1]!) / seconds;
      const [sa, sb] = [a.stats(), b.stats()];
      console.log(
        `quota: admitted ${rate.toFixed(1)} rec/s of capacity ${CAPACITY} (router-a ${(admitted[0]! / seconds).toFixed(1)}, router-b ${(admitted[1]! / seconds).toFixed(1)}; leases ${sa.perLogId.checkout?.recordsPerSec?.toFixed(1)} + ${sb.perLogId.checkout?.recordsPerSec?.toFixed(1)}; rejected ${sa.rejected['global-quota'].requests + sb.rejected['global-quota'].requests} requests)`,
      );
      expect(Math.abs(rate - CAPACITY) / CAPACITY).toBeLessThan(0.1);
      expect(sa.perLogId.checkout!.globalRecordsPerSec).toBe(CAPACITY);
      // each router computes from its own snapshot of the demand, taken a few ms apart
      const leased = sa.perLogId.checkout!.recordsPerSec! + sb.perLogId.checkout!.recordsPerSec!;
      expect(Math.abs(leased - CAPACITY) / CAPACITY).toBeLessThan(0.02);
      expect(sa.rejected['global-quota'].requests).toBeGreaterThan(0);
    } finally {
      await a.stop();
      await b.stop();
    }
    // stop() withdrew both routers' demand
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.keys(`${prefix}:demand:*`)).toEqual([]);
    } finally {
      await redis.quit();
    }
  });

  it('never blocks when Redis is unreachable, and says so in stats', async () => {
    const prefix = `spw:test:quota:${randomUUID()}`;
    prefixes.push(prefix);
    const q = router('router-down', prefix, 'redis://127.0.0.1:1');
    q.start();
    try {
      let slowest = 0;
      const deadline = performance.now() + 2000;
      while (q.stats().lastError === null && performance.now() < deadline) {
        for (let i = 0; i < 10; i++) {
          const t = performance.now();
          q.check('checkout', 8, 800);
          slowest = Math.max(slowest, performance.now() - t);
        }
        await sleep(10);
      }
      expect(slowest).toBeLessThan(1);
      expect(q.stats()).toMatchObject({ redis: 'degraded', source: 'local-share', lastLeaseAt: null });
      expect(q.stats().lastError).toMatch(/127\.0\.0\.1:1|ECONNREFUSED|no connection/);
      // the local share: the whole capacity (fallbackInstances 1) for the only logId
      expect(q.stats().perLogId.checkout!.recordsPerSec).toBe(CAPACITY);
    } finally {
      await q.stop();
    }
  });
});
