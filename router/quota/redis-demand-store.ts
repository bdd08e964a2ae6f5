/**
 * DemandStore on Redis (ioredis). Two round trips per lease round:
 *
 * 1. MULTI: replace this router's demand hash `${prefix}:demand:${id}` (DEL + HSET +
 *    PEXPIRE ttl), register the id in the sorted set `${prefix}:instances` scored by its
 *    expiry (wall-clock ms), drop expired ids, read up to MAX_QUOTA_INSTANCES live ids.
 *    MULTI only so a reader never sees the hash between DEL and HSET (half a demand).
 * 2. Pipeline: HGETALL of every live id's hash. The hash TTL is what counts: an id whose
 *    hash has expired is skipped, so clock skew between routers only delays the sorted
 *    set's clean-up.
 *
 * No Lua: nothing needs a read-modify-write, since each router writes only its own key.
 * The client never queues: `enableOfflineQueue: false` fails commands at once while
 * disconnected, `commandTimeout` bounds each command, `maxRetriesPerRequest: 1`; ioredis
 * keeps reconnecting in the background, and the next round uses the new connection.
 */
import { Redis } from 'ioredis';
import type { Demand } from './allocation.ts';
import type { DemandStore } from './global-quota.ts';

/** Bound on the routers read per round (and on the HGETALL pipeline); far above any real router fleet. */
export const MAX_QUOTA_INSTANCES = 256;
/** Hash field that marks a live router even when it has no demand. */
const ALIVE_FIELD = '.alive';
/** Reconnect backoff cap: there is no point reconnecting faster than a few times per lease. */
const MAX_RECONNECT_DELAY_MS = 1_000;

export interface RedisDemandStoreOptions {
  redisUrl: string;
  keyPrefix: string;
  instanceId: string;
  /** Demand hashes expire after this long unless renewed (about 3 lease periods). */
  ttlMs: number;
  /** Per-command timeout. */
  timeoutMs: number;
}

export class RedisDemandStore implements DemandStore {
  readonly #redis: Redis;
  readonly #o: RedisDemandStoreOptions;
  #lastError: Error | undefined;

  constructor(options: RedisDemandStoreOptions) {
    this.#o = options;
    this.#redis = new Redis(options.redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(options.timeoutMs, 500),
      enableReadyCheck: false,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), MAX_RECONNECT_DELAY_MS),
    });
    // Connection errors surface as failed rounds; without a listener ioredis would log them as unhandled.
    this.#redis.on('error', (err: Error) => {
      this.#lastError = err;
    });
  }

  #key(id: string): string {
    return `${this.#o.keyPrefix}:demand:${id}`;
  }

  /** First connection, bounded by the command timeout; later ones are ioredis' reconnects. */
  async #connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`redis ${this.#o.redisUrl}: no connection within ${this.#o.timeoutMs} ms`)),
        this.#o.timeoutMs,
      );
      timer.unref();
    });
    const connecting = this.#redis.connect();
    connecting.catch(() => {});
    try {
      await Promise.race([connecting, timeout]);
    } catch (err) {
      // ioredis rejects with "Connection is closed."; the 'error' event had the reason
      const reason = this.#lastError?.message ?? (err as Error).message;
      throw new Error(`redis ${this.#o.redisUrl}: cannot connect: ${reason}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  async exchange(own: ReadonlyMap<string, Demand>): Promise<Map<string, Map<string, Demand>>> {
    if (this.#redis.status === 'wait') await this.#connect();
    if (this.#redis.status !== 'ready' && this.#redis.status !== 'connect') {
      throw new Error(
        `redis ${this.#o.redisUrl} is ${this.#redis.status}${this.#lastError ? `: ${this.#lastError.message}` : ''}`,
      );
    }
    const set = `${this.#o.keyPrefix}:instances`;
    const key = this.#key(this.#o.instanceId);
    const now = Date.now();
    const fields: string[] = [ALIVE_FIELD, '1'];
    for (const [logId, d] of own) fields.push(logId, `${round(d.records)} ${round(d.bytes)}`);
    const tx = this.#redis
      .multi()
      .del(key)
      .hset(key, ...fields)
      .pexpire(key, this.#o.ttlMs)
      .zadd(set, now + this.#o.ttlMs, this.#o.instanceId)
      .pexpire(set, this.#o.ttlMs)
      .zremrangebyscore(set, '-inf', now)
      .zrangebyscore(set, now, '+inf', 'LIMIT', 0, MAX_QUOTA_INSTANCES);
    const res = await tx.exec();
    if (res === null) throw new Error('redis MULTI was discarded');
    for (const [err] of res) if (err) throw err;
    const ids = [...new Set([...(res.at(-1)![1] as string[]), this.#o.instanceId])];
    const pipe = this.#redis.pipeline();
    for (const id of ids) pipe.hgetall(this.#key(id));
    const hashes = await pipe.exec();
    if (hashes === null) throw new Error('redis pipeline was discarded');
    const out = new Map<string, Map<string, Demand>>();
    ids.forEach((id, i) => {
      const [err, hash] = hashes[i]!;
      if (err) throw err;
      const h = hash as Record<string, string>;
      if (h[ALIVE_FIELD] === undefined) return; // expired: that router is gone
      const demand = new Map<string, Demand>();
      for (const [field, value] of Object.entries(h)) {
        if (field === ALIVE_FIELD) continue;
        const [r, b] = value.split(' ').map(Number);
        if (Number.isFinite(r) && Number.isFinite(b)) demand.set(field, { records: r!, bytes: b! });
      }
      out.set(id, demand);
    });
    return out;
  }

  /** Removes this router's demand (so the others reclaim its share at their next lease) and disconnects. */
  async close(): Promise<void> {
    if (this.#redis.status === 'ready') {
      await this.#redis
        .multi()
        .del(this.#key(this.#o.instanceId))
        .zrem(`${this.#o.keyPrefix}:instances`, this.#o.instanceId)
        .exec()
        .catch(() => {});
    }
    this.#redis.disconnect();
  }
}

/** Three decimals: enough for rates, and identical text on every reader. */
function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
