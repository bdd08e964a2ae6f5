/**
 * The lease arithmetic: pure functions from (config, everyone's demand) to this router's
 * rates. Every router runs them on the same data, so they agree without talking to each
 * other; see global-quota.ts for the whole design.
 */
import type { Importance } from '../../config/common.ts';
import { maxMinFair } from './fair-share.ts';

/**
 * Share of a logId's allocation spread evenly over the live routers whatever their demand,
 * so a router that has not reported demand yet (just started, or traffic just moved to it)
 * can still admit something until the next lease. 5 %: small enough that the split still
 * follows demand, large enough for a trickle (5 % of 1000 rec/s over 2 routers = 25 rec/s).
 */
export const NEW_INSTANCE_FLOOR = 0.05;

/** Rates in units per second. */
export interface Demand {
  records: number;
  bytes: number;
}

export interface LogIdQuotaSpec {
  importance: Importance;
  /** Configured logId quota; `undefined` = none. */
  recordsPerSec?: number | undefined;
  bytesPerSec?: number | undefined;
}

export type Limiter = 'logid-quota' | 'global-quota' | 'none';

/** A logId's allocation in one dimension (records or bytes). */
export interface DimensionAllocation {
  /** Across all routers; `Infinity` when neither a logId quota nor a global capacity applies. */
  global: number;
  /** This router's part of `global`. */
  instance: number;
  /** What bounds `global`: the logId's quota, its fair share of the global capacity, or nothing. */
  limitedBy: Limiter;
}

export interface LogIdAllocation {
  records: DimensionAllocation;
  bytes: DimensionAllocation;
}

export interface AllocationInput {
  logIds: ReadonlyMap<string, LogIdQuotaSpec>;
  weights: Readonly<Record<Importance, number>>;
  /** Total capacity across logIds and routers; `undefined` = no global cap. */
  globalRecordsPerSec?: number | undefined;
  globalBytesPerSec?: number | undefined;
  /** Demand of every live router (this one included), by router id, then logId. */
  demands: ReadonlyMap<string, ReadonlyMap<string, Demand>>;
}

type Dim = keyof Demand;

/**
 * Global allocation of one dimension for every configured logId:
 * 1. max-min fair split of the capacity by importance weight, each logId's demand capped at
 *    its own quota (what it cannot use goes to the others);
 * 2. capacity left over (total demand below capacity) is split the same way up to each
 *    logId's quota, so an idle logId can start sending before the next lease sees it;
 * 3. no capacity: the logId quota itself (or Infinity).
 */
export function globalAllocation(
  logIds: ReadonlyMap<string, LogIdQuotaSpec>,
  weights: Readonly<Record<Importance, number>>,
  capacity: number | undefined,
  totals: ReadonlyMap<string, number>,
  quotaOf: (spec: LogIdQuotaSpec) => number | undefined,
): Map<string, { global: number; limitedBy: Limiter }> {
  const out = new Map<string, { global: number; limitedBy: Limiter }>();
  if (capacity === undefined) {
    for (const [id, spec] of logIds) {
      const q = quotaOf(spec);
      out.set(id, q === undefined ? { global: Infinity, limitedBy: 'none' } : { global: q, limitedBy: 'logid-quota' });
    }
    return out;
  }
  const cap = (id: string) => quotaOf(logIds.get(id)!) ?? Infinity;
  const first = maxMinFair(
    capacity,
    new Map(
      [...logIds].map(([id, spec]) => [
        id,
        { demand: Math.min(totals.get(id) ?? 0, cap(id)), weight: weights[spec.importance] },
      ]),
    ),
  );
  let used = 0;
  for (const v of first.values()) used += v;
  const left = Math.max(0, capacity - used);
  // Demands capped at what is left: the same split, and finite (maxMinFair refuses Infinity).
  const extra = maxMinFair(
    left,
    new Map(
      [...logIds].map(([id, spec]) => [
        id,
        { demand: Math.min(cap(id) - first.get(id)!, left), weight: weights[spec.importance] },
      ]),
    ),
  );
  for (const id of logIds.keys()) {
    const global = first.get(id)! + extra.get(id)!;
    const q = cap(id);
    out.set(id, { global, limitedBy: q !== Infinity && global >= q * (1 - 1e-9) ? 'logid-quota' : 'global-quota' });
  }
  return out;
}

/**
 * This router's part of a logId allocation: (1 - floor) of it in proportion to demand, and
 * `floor` of it evenly over the live routers. Summed over the routers it is exactly
 * `allocation`. With no demand anywhere, the allocation is split evenly.
 */
export function instanceShare(
  allocation: number,
  own: number,
  total: number,
  instances: number,
  floor = NEW_INSTANCE_FLOOR,
): number {
  if (allocation === Infinity) return Infinity;
  const n = Math.max(1, instances);
  if (!(total > 0)) return allocation / n;
  return allocation * ((1 - floor) * (own / total) + floor / n);
}

/** Per-logId allocation (global and this router's share, records and bytes) for router `instanceId`. */
export function computeLease(input: AllocationInput, instanceId: string): Map<string, LogIdAllocation> {
  const totals: Record<Dim, Map<string, number>> = { records: new Map(), bytes: new Map() };
  // Sorted iteration: float sums then come out bit-identical on every router.
  const instances = [...input.demands.keys()].sort();
  for (const inst of instances) {
    for (const [id, d] of input.demands.get(inst)!) {
      if (!input.logIds.has(id)) continue;
      totals.records.set(id, (totals.records.get(id) ?? 0) + d.records);
      totals.bytes.set(id, (totals.bytes.get(id) ?? 0) + d.bytes);
    }
  }
  const own = input.demands.get(instanceId);
  const n = input.demands.has(instanceId) ? instances.length : instances.length + 1;
  const dims = {
    records: globalAllocation(
      input.logIds,
      input.weights,
      input.globalRecordsPerSec,
      totals.records,
      (s) => s.recordsPerSec,
    ),
    bytes: globalAllocation(input.logIds, input.weights, input.globalBytesPerSec, totals.bytes, (s) => s.bytesPerSec),
  };
  const out = new Map<string, LogIdAllocation>();
  for (const id of input.logIds.keys()) {
    const one = (dim: Dim): DimensionAllocation => {
      const g = dims[dim].get(id)!;
      const instance = instanceShare(g.global, own?.get(id)?.[dim] ?? 0, totals[dim].get(id) ?? 0, n);
      return { global: g.global, instance, limitedBy: g.limitedBy };
    };
    out.set(id, { records: one('records'), bytes: one('bytes') });
  }
  return out;
}
