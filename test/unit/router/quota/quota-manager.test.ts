import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../config/load.ts';
import type { RouterQuotaConfig } from '../../../../config/router.ts';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import type { Demand } from '../../../../router/quota/allocation.ts';
import type { DemandStore } from '../../../../router/quota/global-quota.ts';
import { type QuotaLogId, QuotaManager } from '../../../../router/quota/quota-manager.ts';
import { baseDocument } from '../../config/fixtures.ts';

/** A resolved router.quota section (defaults applied by the real schema). */
function quotaSection(q: Record<string, unknown>): RouterQuotaConfig {
  const doc = baseDocument();
  doc.router = { quota: { instanceId: 'me', ...q } };
  return validateConfig(doc, 'quota.yaml', { env: {} }).router.quota as RouterQuotaConfig;
}

type Snapshot = Map<string, Map<string, Demand>>;

/** A store that answers from a script: a snapshot, or an error. */
class FakeStore implements DemandStore {
  answers: (Snapshot | Error)[];
  published: Map<string, Demand>[] = [];
  constructor(...answers: (Snapshot | Error)[]) {
    this.answers = answers;
  }
  async exchange(own: ReadonlyMap<string, Demand>): Promise<Snapshot> {
    this.published.push(new Map(own));
    const a = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
    if (a instanceof Error) throw a;
    return new Map([...a].map(([k, v]) => [k, new Map(v)]));
  }
  async close(): Promise<void> {}
}

const demand = (entries: Record<string, number>) =>
  new Map(Object.entries(entries).map(([id, records]) => [id, { records, bytes: 0 }]));

describe('QuotaManager without a quota section (local logId quotas)', () => {
  const logIds: QuotaLogId[] = [
    { id: 'a', importance: 'A', quota: { recordsPerSec: 100, bytesPerSec: 10_000 } },
    { id: 'free', importance: 'C' },
    { id: 'unknown', importance: 'C', quota: { recordsPerSec: 10, bytesPerSec: 1_000_000 } },
  ];

  it('admits the burst, then rejects with the exact wait until the bucket refills', () => {
    const clock = new ManualClock();
    const q = new QuotaManager({ logIds, clock });
    for (let i = 0; i < 10; i++) expect(q.check('a', 10, 100)).toEqual({ ok: true });
    expect(q.check('a', 10, 100)).toEqual({ ok: false, retryAfterMs: 100, reason: 'logid-quota' });
    clock.advance(50);
    expect(q.check('a', 10, 100)).toEqual({ ok: false, retryAfterMs: 50, reason: 'logid-quota' });
    clock.advance(50);
    expect(q.check('a', 10, 100)).toEqual({ ok: true });
    expect(q.check('a', 1, 0)).toEqual({ ok: false, retryAfterMs: 10, reason: 'logid-quota' });
    expect(q.stats().rejected).toEqual({
      'logid-quota': { requests: 3, records: 21, bytes: 200 },
      'global-quota': { requests: 0, records: 0, bytes: 0 },
    });
    expect(q.stats().redis).toBe('off');
    expect(q.stats().source).toBe('local');
  });

  it('limits bytes too; a request above the burst passes on a full bucket and leaves a debt', () => {
    const clock = new ManualClock();
    const q = new QuotaManager({ logIds, clock });
    expect(q.check('a', 1, 25_000)).toEqual({ ok: true }); // burst is 10 000 bytes: 15 000 of debt
    // 15 000 debt + 100 at 10 000 B/s
    expect(q.check('a', 1, 100)).toEqual({ ok: false, retryAfterMs: 1510, reason: 'logid-quota' });
    clock.advance(500);
    expect(q.check('a', 1, 100)).toEqual({ ok: false, retryAfterMs: 1010, reason: 'logid-quota' });
    // a rejected request took nothing from the records bucket
    expect(q.check('a', 99, 0)).toEqual({ ok: true });
    clock.advance(1010);
    expect(q.check('a', 1, 100)).toEqual({ ok: true });
    expect(q.check('a', 1, 1)).toEqual({ ok: false, retryAfterMs: 1, reason: 'logid-quota' });
  });

  it('passes logIds without a quota, counts unconfigured ones against the fallback logId', () => {
    const q = new QuotaManager({ logIds, clock: new ManualClock(), fallbackLogId: 'unknown' });
    for (let i = 0; i < 1000; i++) expect(q.check('free', 1000, 1_000_000).ok).toBe(true);
    expect(q.check('mystery', 10, 10)).toEqual({ ok: true });
    expect(q.check('other-mystery', 1, 10)).toEqual({ ok: false, retryAfterMs: 100, reason: 'logid-quota' });
    expect(q.stats().perLogId.free).toMatchObject({ recordsPerSec: null, bytesPerSec: null });
  });
});

describe('QuotaManager with a lease', () => {
  const logIds: QuotaLogId[] = [
    { id: 's', importance: 'S' },
    { id: 'c', importance: 'C' },
  ];
  // S and C both over the 900 rec/s capacity: 800 and 100 globally; me has 3/4 of the S
  // demand and 1/2 of the C demand.
  const snapshot: Snapshot = new Map([
    ['me', demand({ s: 900, c: 600 })],
    ['other', demand({ s: 300, c: 600 })],
  ]);

  it('sets the buckets to this router share and reports global-quota rejections', async () => {
    const clock = new ManualClock();
    const store = new FakeStore(snapshot);
    const q = new QuotaManager({ logIds, quota: quotaSection({ globalRecordsPerSec: 900 }), clock, store });
    await q.leaseOnce();
    // s: 800 * (0.95 * 3/4 + 0.05 / 2) = 590; c: 100 * (0.95 / 2 + 0.025) = 50
    expect(q.stats().perLogId.s).toMatchObject({ recordsPerSec: 590, globalRecordsPerSec: 800, bytesPerSec: null });
    expect(q.stats().perLogId.c).toMatchObject({ recordsPerSec: 50, globalRecordsPerSec: 100 });
    // the start-up buckets (local share, full) are clamped to the new burst
    expect(q.check('s', 590, 0)).toEqual({ ok: true });
    expect(q.check('s', 1, 0)).toEqual({ ok: false, retryAfterMs: 2, reason: 'global-quota' });
    expect(q.check('c', 50, 0)).toEqual({ ok: true });
    expect(q.check('c', 10, 0)).toEqual({ ok: false, retryAfterMs: 200, reason: 'global-quota' });
    clock.advance(1000);
    let admitted = 0;
    for (let i = 0; i < 100; i++) if (q.check('c', 1, 0).ok) admitted++;
    expect(admitted).toBe(50);
    expect(q.stats()).toMatchObject({ redis: 'ok', source: 'lease', instances: 2, leaseAgeMs: 1000, lastError: null });
    expect(q.stats().rejected['global-quota']).toEqual({ requests: 52, records: 61, bytes: 0 });
  });

  it('publishes its demand: what was asked, admitted or not', async () => {
    const clock = new ManualClock();
    const store = new FakeStore(snapshot);
    const q = new QuotaManager({
      logIds,
      quota: quotaSection({ globalRecordsPerSec: 900, demandWindowMs: 1000 }),
      clock,
      store,
    });
    for (let i = 0; i < 20; i++) {
      q.check('c', 100, 1000);
      clock.advance(50);
    }
    await q.leaseOnce();
    expect(store.published[0]).toEqual(new Map([['c', { records: 2000, bytes: 20_000 }]]));
    expect(q.stats().perLogId.c).toMatchObject({ demandRecordsPerSec: 2000, demandBytesPerSec: 20_000 });
  });

  it('Redis down from the start: local share = quota / fallbackInstances, stats say degraded', async () => {
    const clock = new ManualClock();
    const store = new FakeStore(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    const q = new QuotaManager({
      logIds: [{ id: 'a', importance: 'S', quota: { recordsPerSec: 400, bytesPerSec: 1_000_000 } }],
      quota: quotaSection({ globalRecordsPerSec: 1000, fallbackInstances: 2 }),
      clock,
      store,
    });
    await q.leaseOnce();
    expect(q.stats()).toMatchObject({
      redis: 'degraded',
      source: 'local-share',
      lastLeaseAt: null,
      leaseAgeMs: null,
      lastError: 'connect ECONNREFUSED 127.0.0.1:6379',
    });
    expect(q.stats().perLogId.a).toMatchObject({ recordsPerSec: 200, globalRecordsPerSec: 200, bytesPerSec: 500_000 });
    expect(q.check('a', 200, 0)).toEqual({ ok: true });
    expect(q.check('a', 1, 0)).toEqual({ ok: false, retryAfterMs: 5, reason: 'logid-quota' });
  });

  it('keeps the last lease when Redis fails after a success', async () => {
    const clock = new ManualClock();
    const store = new FakeStore(snapshot, new Error('Command timed out'));
    const q = new QuotaManager({ logIds, quota: quotaSection({ globalRecordsPerSec: 900 }), clock, store });
    await q.leaseOnce();
    clock.advance(3000);
    await q.leaseOnce();
    await q.leaseOnce();
    expect(q.stats()).toMatchObject({
      redis: 'degraded',
      source: 'lease',
      leaseAgeMs: 3000,
      lastError: 'Command timed out',
    });
    expect(q.stats().perLogId.s).toMatchObject({ recordsPerSec: 590, globalRecordsPerSec: 800 });
    expect(q.check('s', 590, 0)).toEqual({ ok: true });
    expect(q.check('s', 1, 0)).toEqual({ ok: false, retryAfterMs: 2, reason: 'global-quota' });
  });

  it('a zero lease rejects with Retry-After = leaseMs', async () => {
    // the whole capacity goes to s, which asks for more than all of it; idle c gets nothing
    const store = new FakeStore(new Map([['other', demand({ s: 1000 })]]));
    const q = new QuotaManager({
      logIds,
      quota: quotaSection({ globalRecordsPerSec: 100, leaseMs: 500 }),
      clock: new ManualClock(),
      store,
    });
    await q.leaseOnce();
    expect(q.stats().perLogId.c).toMatchObject({ recordsPerSec: 0, globalRecordsPerSec: 0 });
    expect(q.check('c', 1, 0)).toEqual({ ok: false, retryAfterMs: 500, reason: 'global-quota' });
  });

  it('check() never waits for a round in flight', async () => {
    const never: DemandStore = { exchange: () => new Promise(() => {}), close: async () => {} };
    const q = new QuotaManager({
      logIds: [{ id: 's', importance: 'S', quota: { recordsPerSec: 10, bytesPerSec: 100 } }],
      quota: quotaSection({}),
      clock: new ManualClock(),
      store: never,
    });
    const round = q.leaseOnce();
    expect(q.leaseOnce()).toBe(round);
    expect(q.check('s', 10, 100)).toEqual({ ok: true });
    expect(q.stats().redis).toBe('degraded');
  });
});

describe('QuotaManager.reconfigure (a live config reload)', () => {
  it('without a lease: a new logId is limited at once, a removed one is free, a changed quota re-rates the bucket', () => {
    const clock = new ManualClock();
    const q = new QuotaManager({
      logIds: [{ id: 'a', importance: 'A', quota: { recordsPerSec: 100, bytesPerSec: 1_000_000 } }],
      clock,
    });
    expect(q.check('a', 100, 0)).toEqual({ ok: true });
    q.reconfigure(
      [
        { id: 'a', importance: 'A', quota: { recordsPerSec: 1000, bytesPerSec: 1_000_000 } },
        { id: 'b', importance: 'B', quota: { recordsPerSec: 10, bytesPerSec: 1_000_000 } },
      ],
      undefined,
    );
    // a's bucket keeps its (empty) tokens, refilled at the new rate: 1 ms per record.
    expect(q.check('a', 1, 0)).toEqual({ ok: false, retryAfterMs: 1, reason: 'logid-quota' });
    expect(q.check('b', 10, 0)).toEqual({ ok: true });
    expect(q.check('b', 1, 0)).toEqual({ ok: false, retryAfterMs: 100, reason: 'logid-quota' });
    q.reconfigure([{ id: 'b', importance: 'B' }], undefined);
    for (let i = 0; i < 100; i++) expect(q.check('b', 1000, 0)).toEqual({ ok: true });
    expect(q.stats().perLogId.a).toBeUndefined();
  });

  it('with a lease: keeps the leased rates, gives only a new logId a local share, and the next round covers it', async () => {
    const clock = new ManualClock();
    const snapshot: Snapshot = new Map([
      ['me', demand({ s: 900, c: 600 })],
      ['other', demand({ s: 300, c: 600 })],
    ]);
    const store = new FakeStore(snapshot, new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    const q = new QuotaManager({
      logIds: [
        { id: 's', importance: 'S' },
        { id: 'c', importance: 'C' },
      ],
      quota: quotaSection({ globalRecordsPerSec: 900, fallbackInstances: 2 }),
      clock,
      store,
    });
    await q.leaseOnce();
    expect(q.stats().perLogId.s).toMatchObject({ recordsPerSec: 590 });
    q.reconfigure(
      [
        { id: 's', importance: 'S' },
        { id: 'c', importance: 'C' },
        { id: 'n', importance: 'A', quota: { recordsPerSec: 100, bytesPerSec: 1_000_000 } },
      ],
      undefined,
    );
    // The leased rates stay (not the local share of 900 / 2); the new logId gets 100 / 2.
    expect(q.stats().perLogId.s).toMatchObject({ recordsPerSec: 590 });
    expect(q.stats().perLogId.c).toMatchObject({ recordsPerSec: 50 });
    expect(q.stats().perLogId.n).toMatchObject({ recordsPerSec: 50 });
    // A lowered quota of a leased logId applies at once, as a local share (10 / 2).
    q.reconfigure(
      [
        { id: 's', importance: 'S', quota: { recordsPerSec: 10, bytesPerSec: 1_000_000 } },
        { id: 'c', importance: 'C' },
        { id: 'n', importance: 'A', quota: { recordsPerSec: 100, bytesPerSec: 1_000_000 } },
      ],
      undefined,
    );
    expect(q.stats().perLogId.s).toMatchObject({ recordsPerSec: 5 });
    expect(q.stats().perLogId.c).toMatchObject({ recordsPerSec: 50 });
    // Redis fails on the next round: the lease is kept, as for any failed round.
    await q.leaseOnce();
    expect(q.stats()).toMatchObject({ redis: 'degraded', source: 'lease' });
    expect(q.stats().perLogId.s).toMatchObject({ recordsPerSec: 5 });
  });
});
