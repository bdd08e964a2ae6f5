/**
 * Global quota: one capacity shared by all routers, and logId quotas that hold across all
 * routers, without a Redis call on the request path (issue #3).
 *
 * Hot path (QuotaManager.check, synchronous, no I/O): per-logId token buckets, one for
 * records and one for bytes, whose rates come from the current *lease*. Every check adds
 * what was asked (admitted or not) to a sliding demand window.
 *
 * Lease round (every `leaseMs`, unref'd timer, one round in flight at most):
 * 1. This router writes its demand per logId (records/s, bytes/s over `demandWindowMs`) to
 *    the hash `${keyPrefix}:demand:${instanceId}` with a TTL of 3 lease periods, and reads
 *    the demand hashes of every live router (a sorted set of ids scored by expiry, bounded
 *    to MAX_QUOTA_INSTANCES; see redis-demand-store.ts for the commands).
 * 2. From that snapshot it computes, for every logId (allocation.ts):
 *    global allocation = min(logId quota, weighted max-min fair share of the global
 *    capacity, weights by importance, demand = total demand over routers); capacity nobody
 *    asked for is shared out the same way so an idle logId can start;
 *    this router's share = allocation * (0.95 * ownDemand / totalDemand + 0.05 / routers).
 * 3. It sets its buckets' rates to its shares (burst = rate * burstMs / 1000).
 * Every router computes the same function of the same snapshot, so the shares of a logId
 * sum to exactly its allocation and the allocations to at most the capacity. Snapshots
 * taken at different moments of the round can disagree for one lease period (a router that
 * just started is counted by itself before the others see it); the overshoot is bounded by
 * the floor share of one router for one lease.
 *
 * No Lua and no distributed lock: each router writes only its own key, so there is no
 * read-modify-write to protect; MULTI is used only to replace the hash atomically.
 *
 * Redis down or slow (every command bounded by `redisTimeoutMs`, nothing queued offline):
 * the round fails, the buckets keep the last lease, and stats() says `redis: 'degraded'`
 * with the lease age. If no lease ever succeeded, each router takes a local share: the
 * same computation with only its own demand, the capacity and the logId quotas divided by
 * `fallbackInstances`. Without a `router.quota` section there is no Redis at all and each
 * router enforces the logId quotas alone.
 */
import type { Demand } from './allocation.ts';

/** Where routers exchange demand. Redis in production (RedisDemandStore), in memory in tests. */
export interface DemandStore {
  /**
   * Publishes this router's demand and returns the demand of every live router, this one
   * included, by router id. Rejects on any failure; must settle within the store's timeout.
   */
  exchange(own: ReadonlyMap<string, Demand>): Promise<Map<string, Map<string, Demand>>>;
  /** Withdraws this router's demand (best effort) and releases connections. */
  close(): Promise<void>;
}

/** A demand hash lives this many lease periods without renewal: one missed round is not a departure. */
export const DEMAND_TTL_LEASES = 3;
