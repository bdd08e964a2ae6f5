/**
 * Per-logId quotas on the router's hot path, with rates leased from a global quota shared
 * through Redis. The design is in global-quota.ts and docs/quotas.md.
 */
import { hostname } from 'node:os';
import type { Importance } from '../../config/common.ts';
import { DEFAULT_IMPORTANCE_WEIGHTS, DEFAULT_QUOTA_BURST_MS, type RouterQuotaConfig } from '../../config/router.ts';
import type { DeepReadonly, SpillwayConfig } from '../../config/schema.ts';
import { type Clock, systemClock } from '../../core/resilience/clock.ts';
import { TokenBucket } from '../../core/resilience/token-bucket.ts';
import { computeLease, type Demand, type LogIdAllocation, type LogIdQuotaSpec } from './allocation.ts';
import { DemandWindow } from './demand-window.ts';
import { DEMAND_TTL_LEASES, type DemandStore } from './global-quota.ts';
import { RedisDemandStore } from './redis-demand-store.ts';

export type QuotaRejectReason = 'logid-quota' | 'global-quota';

export type QuotaCheckResult = { ok: true } | { ok: false; retryAfterMs: number; reason: QuotaRejectReason };

export interface QuotaLogId {
  id: string;
  importance: Importance;
  quota?: { recordsPerSec: number; bytesPerSec: number } | undefined;
}

export interface QuotaManagerOptions {
  /** The configured logIds; all routers sharing a keyPrefix must have the same list. */
  logIds: readonly DeepReadonly<QuotaLogId>[];
  /** The resolved `router.quota` section; `undefined` = each router enforces the logId quotas alone. */
  quota?: DeepReadonly<RouterQuotaConfig> | undefined;
  /** Unconfigured logIds are counted against this one (router.fallbackLogId); without it they pass unchecked. */
  fallbackLogId?: string | undefined;
  /** @default systemClock */
  clock?: Clock;
  /** Where demand is exchanged. @default a RedisDemandStore on quota.redisUrl (none without a quota section) */
  store?: DemandStore;
}

export interface QuotaLogIdStats {
  /** This router's leased rates (`null` = unlimited). */
  recordsPerSec: number | null;
  bytesPerSec: number | null;
  /** The logId's allocation across all routers (`null` = unlimited). */
  globalRecordsPerSec: number | null;
  globalBytesPerSec: number | null;
  /** Demand this router reported at the last lease round. */
  demandRecordsPerSec: number;
  demandBytesPerSec: number;
}

export interface QuotaStats {
  /** `off`: no quota section, no Redis; `degraded`: the last round failed or none succeeded yet. */
  redis: 'ok' | 'degraded' | 'off';
  /** Wall-clock ms of the last successful lease; `null` if none. */
  lastLeaseAt: number | null;
  /** Time since the last successful lease; `null` if none. */
  leaseAgeMs: number | null;
  /** `lease`: rates from a Redis lease; `local-share`: quota / fallbackInstances, no lease yet; `local`: no quota section. */
  source: 'lease' | 'local-share' | 'local';
  /** Routers seen at the last successful lease. */
  instances: number;
  lastError: string | null;
  perLogId: Record<string, QuotaLogIdStats>;
  /** Rejected checks by reason, and the records and bytes they asked for. */
  rejected: Record<QuotaRejectReason, { requests: number; records: number; bytes: number }>;
}

/** Time a caller is told to wait when its lease is zero: the next lease may grant something. */
const ZERO_RATE_RETRY_FLOOR_MS = 1_000;

interface Limits {
  records: TokenBucket | null;
  bytes: TokenBucket | null;
  recordsReason: QuotaRejectReason;
  bytesReason: QuotaRejectReason;
}

export function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}`;
}

export class QuotaManager {
  readonly instanceId: string;
  readonly #clock: Clock;
  readonly #quota: DeepReadonly<RouterQuotaConfig> | undefined;
  #specs: Map<string, LogIdQuotaSpec>;
  #fallbackLogId: string | undefined;
  readonly #store: DemandStore | undefined;
  readonly #demand: DemandWindow;
  readonly #limits = new Map<string, Limits>();
  readonly #burstMs: number;
  #allocation = new Map<string, LogIdAllocation>();
  #reported = new Map<string, Demand>();
  #redis: QuotaStats['redis'];
  #source: QuotaStats['source'];
  #lastLeaseAt: number | null = null;
  #lastLeaseMono: number | null = null;
  #instances = 1;
  #lastError: string | null = null;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  readonly #rejected: QuotaStats['rejected'] = {
    'logid-quota': { requests: 0, records: 0, bytes: 0 },
    'global-quota': { requests: 0, records: 0, bytes: 0 },
  };

  constructor(options: QuotaManagerOptions) {
    this.#clock = options.clock ?? systemClock;
    this.#quota = options.quota;
    this.#fallbackLogId = options.fallbackLogId;
    this.#burstMs = options.quota?.burstMs ?? DEFAULT_QUOTA_BURST_MS;
    this.instanceId = options.quota?.instanceId ?? defaultInstanceId();
    this.#specs = specsOf(options.logIds);
    // Without a quota section the window only feeds stats; 5 s matches the section's default.
    this.#demand = new DemandWindow(options.quota?.demandWindowMs ?? 5_000, this.#clock);
    const q = options.quota;
    this.#store =
      options.store ??
      (q === undefined
        ? undefined
        : new RedisDemandStore({
            redisUrl: q.redisUrl,
            keyPrefix: q.keyPrefix,
            instanceId: this.instanceId,
            ttlMs: DEMAND_TTL_LEASES * q.leaseMs,
            timeoutMs: q.redisTimeoutMs,
          }));
    this.#redis = q === undefined ? 'off' : 'degraded';
    this.#source = q === undefined ? 'local' : 'local-share';
    this.#applyLocalShare();
  }

  /** A QuotaManager for the router of a loaded config. */
  static fromConfig(config: SpillwayConfig, options: { clock?: Clock; store?: DemandStore } = {}): QuotaManager {
    return new QuotaManager({
      logIds: config.logIds,
      quota: config.router.quota,
      fallbackLogId: config.router.fallbackLogId,
      ...options,
    });
  }

  /**
   * Admits `records` records of `bytes` bytes for `logId`, or says how long to wait.
   * Synchronous, no I/O. Counts the request as demand whether admitted or not. Both the
   * records and the bytes bucket must have room; a request is admitted whole or not at all.
   * A request larger than a bucket's burst is admitted when that bucket is full and is paid
   * back before anything else passes (TokenBucket debt mode).
   */
  check(logId: string, records: number, bytes: number): QuotaCheckResult {
    const key = this.#specs.has(logId) ? logId : this.#fallbackLogId;
    if (key === undefined || !this.#specs.has(key)) return { ok: true };
    this.#demand.add(key, records, bytes);
    const limits = this.#limits.get(key);
    if (limits === undefined) return { ok: true };
    const r = limits.records?.waitMs(records) ?? 0;
    const b = limits.bytes?.waitMs(bytes) ?? 0;
    if (r === 0 && b === 0) {
      limits.records?.force(records);
      limits.bytes?.force(bytes);
      return { ok: true };
    }
    const reason = r >= b ? limits.recordsReason : limits.bytesReason;
    const counts = this.#rejected[reason];
    counts.requests++;
    counts.records += records;
    counts.bytes += bytes;
    const wait = Math.max(r, b);
    return {
      ok: false,
      retryAfterMs: Number.isFinite(wait) ? wait : (this.#quota?.leaseMs ?? ZERO_RATE_RETRY_FLOOR_MS),
      reason,
    };
  }

  /**
   * A live config reload: new logIds, removed ones, changed quotas and importance. Without a
   * lease the rates apply at once (the buckets keep their tokens when a rate changes). With
   * one, the lease stays for the logIds whose spec did not change; new and changed ones get
   * a local share (quota / fallbackInstances) at once, until the next round, started now,
   * covers them.
   */
  reconfigure(logIds: QuotaManagerOptions['logIds'], fallbackLogId: string | undefined): void {
    const before = this.#specs;
    this.#specs = specsOf(logIds);
    this.#fallbackLogId = fallbackLogId;
    for (const id of [...this.#limits.keys()]) if (!this.#specs.has(id)) this.#limits.delete(id);
    for (const id of [...this.#allocation.keys()]) if (!this.#specs.has(id)) this.#allocation.delete(id);
    if (this.#source !== 'lease') {
      this.#applyLocalShare(this.#demand.rates());
    } else {
      // Keep the lease (a failed round keeps it too); only logIds it does not cover yet get
      // a local share until the next round, started now, covers them.
      const same = (id: string) => JSON.stringify(before.get(id)) === JSON.stringify(this.#specs.get(id));
      const fresh = new Set([...this.#specs.keys()].filter((id) => !this.#allocation.has(id) || !same(id)));
      if (fresh.size > 0) this.#applyLocalShare(this.#demand.rates(), fresh);
    }
    if (this.#timer !== undefined) void this.leaseOnce();
  }

  /** Starts the lease loop (first round now); a no-op without a quota section. */
  start(): void {
    if (this.#store === undefined || this.#timer !== undefined || this.#quota === undefined) return;
    this.#timer = setInterval(() => void this.leaseOnce(), this.#quota.leaseMs);
    this.#timer.unref();
    void this.leaseOnce();
  }

  /** Stops the loop, waits for a round in flight, withdraws this router's demand and closes the store. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#round;
    await this.#store?.close();
  }

  /**
   * One lease round (the loop calls it every leaseMs; tests call it directly). Never throws:
   * a failure keeps the last lease (or recomputes the local share if there never was one).
   * Concurrent calls share the round in flight.
   */
  leaseOnce(): Promise<void> {
    if (this.#round !== undefined) return this.#round;
    if (this.#store === undefined) return Promise.resolve();
    const store = this.#store;
    this.#round = (async () => {
      const own = this.#demand.rates();
      this.#reported = own;
      try {
        const all = await store.exchange(own);
        all.set(this.instanceId, all.get(this.instanceId) ?? own);
        this.#apply(
          computeLease(
            {
              logIds: this.#specs,
              weights: this.#quota?.importanceWeights ?? DEFAULT_IMPORTANCE_WEIGHTS,
              globalRecordsPerSec: this.#quota?.globalRecordsPerSec,
              globalBytesPerSec: this.#quota?.globalBytesPerSec,
              demands: all,
            },
            this.instanceId,
          ),
        );
        this.#redis = 'ok';
        this.#source = 'lease';
        this.#instances = all.size;
        this.#lastLeaseAt = Date.now();
        this.#lastLeaseMono = this.#clock.now();
        this.#lastError = null;
      } catch (err) {
        this.#redis = 'degraded';
        this.#lastError = (err as Error).message ?? String(err);
        if (this.#source === 'local-share') this.#applyLocalShare(own);
      } finally {
        this.#round = undefined;
      }
    })();
    return this.#round;
  }

  stats(): QuotaStats {
    const perLogId: Record<string, QuotaLogIdStats> = {};
    for (const [id, a] of this.#allocation) {
      const d = this.#reported.get(id);
      perLogId[id] = {
        recordsPerSec: finite(a.records.instance),
        bytesPerSec: finite(a.bytes.instance),
        globalRecordsPerSec: finite(a.records.global),
        globalBytesPerSec: finite(a.bytes.global),
        demandRecordsPerSec: d?.records ?? 0,
        demandBytesPerSec: d?.bytes ?? 0,
      };
    }
    return {
      redis: this.#redis,
      lastLeaseAt: this.#lastLeaseAt,
      leaseAgeMs: this.#lastLeaseMono === null ? null : this.#clock.now() - this.#lastLeaseMono,
      source: this.#source,
      instances: this.#instances,
      lastError: this.#lastError,
      perLogId,
      rejected: structuredClone(this.#rejected),
    };
  }

  /** Rates with no lease: this router alone, with capacity and quotas divided by fallbackInstances. */
  #applyLocalShare(own: ReadonlyMap<string, Demand> = new Map(), only?: ReadonlySet<string>): void {
    const n = this.#quota?.fallbackInstances ?? 1;
    const div = (x: number | undefined) => (x === undefined ? undefined : x / n);
    const specs = new Map(
      [...this.#specs]
        .filter(([id]) => only === undefined || only.has(id))
        .map(([id, s]) => [
          id,
          { importance: s.importance, recordsPerSec: div(s.recordsPerSec), bytesPerSec: div(s.bytesPerSec) },
        ]),
    );
    this.#apply(
      computeLease(
        {
          logIds: specs,
          weights: this.#quota?.importanceWeights ?? DEFAULT_IMPORTANCE_WEIGHTS,
          globalRecordsPerSec: div(this.#quota?.globalRecordsPerSec),
          globalBytesPerSec: div(this.#quota?.globalBytesPerSec),
          demands: new Map([[this.instanceId, own]]),
        },
        this.instanceId,
      ),
      only !== undefined,
    );
  }

  /** @param merge keep the allocation of the logIds `allocation` does not name */
  #apply(allocation: Map<string, LogIdAllocation>, merge = false): void {
    this.#allocation = merge ? new Map([...this.#allocation, ...allocation]) : allocation;
    for (const [id, a] of allocation) {
      const old = this.#limits.get(id);
      const limits: Limits = {
        records: this.#bucket(old?.records ?? null, a.records.instance),
        bytes: this.#bucket(old?.bytes ?? null, a.bytes.instance),
        recordsReason: a.records.limitedBy === 'global-quota' ? 'global-quota' : 'logid-quota',
        bytesReason: a.bytes.limitedBy === 'global-quota' ? 'global-quota' : 'logid-quota',
      };
      if (limits.records === null && limits.bytes === null) this.#limits.delete(id);
      else this.#limits.set(id, limits);
    }
  }

  /** The bucket for a leased rate: none when unlimited, a new full one when there was none, else re-rated. */
  #bucket(old: TokenBucket | null, rate: number): TokenBucket | null {
    if (rate === Infinity) return null;
    const burst = (rate * this.#burstMs) / 1000;
    if (old === null) return new TokenBucket({ ratePerSec: rate, burst, clock: this.#clock, oversize: 'debt' });
    old.setRate(rate, burst);
    return old;
  }
}

function specsOf(logIds: QuotaManagerOptions['logIds']): Map<string, LogIdQuotaSpec> {
  return new Map(
    logIds.map((l) => [
      l.id,
      { importance: l.importance, recordsPerSec: l.quota?.recordsPerSec, bytesPerSec: l.quota?.bytesPerSec },
    ]),
  );
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
