/**
 * The sinks one `spillway sink` process runs, and how a live config reload reaches them
 * (config/reload.ts calls `reconfigure`). Each sink is handled alone, the others never
 * notice:
 *
 * - settings, topics and logIds unchanged: nothing happens;
 * - only the logIds it takes changed: the next record is judged by the new config, no
 *   restart (RunningSink.retarget);
 * - its own section or its topics changed: its workers stop (in-flight writes finish,
 *   offsets are committed: at most its in-flight records are delivered again) and start on
 *   the new config;
 * - added to the config (when the process runs every sink): started; removed: stopped.
 *
 * A sink whose logIds move to other topics keeps reading the topics that leave its plan
 * until its group has consumed them to the end and they have stopped growing (the routers
 * write the new topics): only then does it switch, and it reads the new topics from the
 * earliest offset. So nothing written to the old topics is left behind, and one host's
 * records of one channel are delivered in the order they were written. Until then it runs
 * on the previous config and says why in the log.
 */

import { kafkaClusterOf } from '../../config/cluster.ts';
import { changedPaths, diffConfigs, isUnder } from '../../config/diff.ts';
import { PartialReloadError } from '../../config/reload.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { KafkaAdmin } from '../../core/kafka/index.ts';
import type { Logger } from '../../core/logger.ts';
import type { Telemetry } from '../../core/telemetry.ts';
import { planPlacement, type TopicRef } from '../../router/placement-plan.ts';
import { type RunningSink, type SinkServiceOptions, sinkGroupId, startSink } from './sink-service.ts';

/** How often a sink waiting on a placement move checks the old topics. */
export const DRAIN_POLL_MS = 1_000;
/**
 * The old topics' end offsets must hold still this long before a sink switches: at least
 * this, and longer than any produce a router may still have in flight (its request timeout).
 */
export const DEFAULT_DRAIN_QUIET_MS = 10_000;
/** A sink still waiting logs why this often. */
const DRAIN_LOG_EVERY_MS = 30_000;

export interface SinkSetOptions extends SinkServiceOptions {
  /** Run just these sinks (`--name`); default every sink of the config, following reloads. */
  names?: readonly string[];
  logger: Logger;
  /** Overrides the quiet time (tests); default the larger of DEFAULT_DRAIN_QUIET_MS and the routers' request timeout + 5 s. */
  drainQuietMs?: number;
}

const refKey = (r: TopicRef) => `${r.cluster}/${r.topic}`;

/** What forces a sink's workers to restart: its section, the topics it reads, its side topics. */
function shapeOf(config: SpillwayConfig, name: string): string {
  const plan = planPlacement(config).sinks.find((s) => s.name === name);
  return JSON.stringify({
    sink: config.sinks.find((s) => s.name === name),
    consumes: plan?.consumes.map(refKey),
    gutter: plan?.gutter.map(refKey),
    deadLetter: plan?.deadLetter.map(refKey),
  });
}

interface Entry {
  running: RunningSink;
  config: SpillwayConfig;
}

export class SinkSet {
  readonly #o: SinkSetOptions;
  readonly #sinks = new Map<string, Entry>();
  /** Sinks waiting for their old topics to drain before they switch to `target`. */
  readonly #pending = new Map<string, AbortController>();
  /** One change at a time per sink: a reload, a switch after a drain and close never interleave. */
  readonly #queues = new Map<string, Promise<void>>();
  /** Drain loops running (close waits for them: they hold Kafka admin clients). */
  readonly #drains = new Set<Promise<void>>();
  #target: SpillwayConfig;
  #closed = false;

  constructor(config: SpillwayConfig, options: SinkSetOptions) {
    this.#o = options;
    this.#target = config;
  }

  get running(): RunningSink[] {
    return [...this.#sinks.values()].map((s) => s.running);
  }

  /** Sinks that wait for their old topics to drain before switching to a reloaded placement. */
  get switching(): string[] {
    return [...this.#pending.keys()];
  }

  #names(config: SpillwayConfig): string[] {
    return this.#o.names ? [...this.#o.names] : config.sinks.map((s) => s.name);
  }

  /** Runs `fn` after every earlier change of this sink has finished. */
  #serial(name: string, fn: () => Promise<void>): Promise<void> {
    const run = (this.#queues.get(name) ?? Promise.resolve()).then(fn);
    const settled = run.catch(() => {});
    this.#queues.set(name, settled);
    void settled.then(() => {
      if (this.#queues.get(name) === settled) this.#queues.delete(name);
    });
    return run;
  }

  async start(): Promise<void> {
    // In parallel: one sink's slow start (a hanging destination's health check) must not delay the others.
    const config = this.#target;
    await Promise.all(this.#names(config).map((name) => this.#serial(name, () => this.#startEntry(name, config))));
  }

  /** Starts a sink and keeps it, unless the set closed meanwhile (then it is closed again). */
  async #startEntry(name: string, config: SpillwayConfig): Promise<void> {
    const running = await startSink(config, name, this.#o);
    if (this.#closed) {
      await running.close();
      return;
    }
    this.#sinks.set(name, { running, config });
  }

  /**
   * A live reload. Each sink is changed alone; when one cannot be (its new section does not
   * start) it goes back to its previous config, the others keep the new one, and this throws
   * naming it. Throws with nothing changed when a sink named by `--name` is not in `next`.
   */
  async reconfigure(next: SpillwayConfig): Promise<void> {
    if (this.#closed) throw new Error('the sinks are stopping');
    const missing = this.#names(next).filter((n) => !next.sinks.some((s) => s.name === n));
    if (missing.length > 0)
      throw new Error(`this process runs sink ${missing.join(', ')} (--name), which the new config does not have`);
    this.#target = next;
    const wanted = new Set(this.#names(next));
    const names = new Set([...this.#sinks.keys(), ...wanted]);
    const results = await Promise.allSettled(
      [...names].map((name) =>
        this.#serial(name, async () => {
          if (this.#closed) return;
          const s = this.#sinks.get(name);
          if (!wanted.has(name)) {
            if (!s) return;
            this.#o.logger.info({ sink: name }, 'reload: sink removed from the config; stopping it');
            this.#cancelPending(name);
            this.#sinks.delete(name);
            await s.running.close();
            await forgetSinkGauges(this.#o.telemetry, name);
          } else if (!s) {
            this.#o.logger.info({ sink: name }, 'reload: sink added to the config; starting it');
            await this.#startEntry(name, next);
          } else {
            await this.#update(name, next);
          }
        }),
      ),
    );
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
    // The other sinks run on `next` now: the reloader takes it as the config in force.
    if (failed.length > 0) throw new PartialReloadError(failed.join('; '));
  }

  async #update(name: string, next: SpillwayConfig): Promise<void> {
    const s = this.#sinks.get(name)!;
    this.#cancelPending(name);
    if (shapeOf(s.config, name) === shapeOf(next, name)) {
      s.running.retarget(next);
      s.config = next;
      return;
    }
    const before = planPlacement(s.config).sinks.find((p) => p.name === name)!;
    const after = new Set(
      planPlacement(next)
        .sinks.find((p) => p.name === name)!
        .consumes.map(refKey),
    );
    const leaving = before.consumes.filter((r) => !after.has(refKey(r)));
    const gone = new Set(leaving.map(refKey));
    const mine = (c: SpillwayConfig) => new Set(c.logIds.filter((l) => l.sinks.includes(name)).map((l) => l.id));
    const [wasMine, isMine] = [mine(s.config), mine(next)];
    // Its logIds (before and after) that moved off a leaving topic: they must be drained.
    const moved = diffConfigs(s.config, next)
      .moves.filter((m) => wasMine.has(m.logId) && isMine.has(m.logId))
      .filter((m) => Object.values(m.from).some((at) => gone.has(at) && !Object.values(m.to).includes(at)))
      .map((m) => m.logId);
    if (leaving.length === 0 || moved.length === 0) {
      const own = changedPaths(s.config, next).filter((p) => isUnder(p, `sinks[${name}]`));
      this.#o.logger.info({ sink: name, changed: own }, 'reload: restarting the sink on the new config');
      await this.#restart(name, next);
      return;
    }
    // A placement move: keep reading the old topics until they are consumed and quiet.
    // The new logIds' records meanwhile wait in their topics (read from the earliest offset later).
    s.running.retarget(next);
    const abort = new AbortController();
    this.#pending.set(name, abort);
    this.#o.logger.info(
      { sink: name, leaving: leaving.map(refKey), moved },
      'reload: placement change; the sink keeps reading the topics leaving its plan until they are drained, then switches',
    );
    const drain = this.#switchWhenDrained(name, s, next, leaving, new Set(moved), abort.signal);
    this.#drains.add(drain);
    void drain.finally(() => this.#drains.delete(drain));
  }

  /** @param fallBack on failure, start the sink on its previous config again (a reload); else leave it for a retry (a switch after a drain) */
  async #restart(name: string, next: SpillwayConfig, fallBack = true): Promise<void> {
    const s = this.#sinks.get(name);
    if (s) {
      await s.running.close();
      await forgetSinkGauges(this.#o.telemetry, name);
    }
    this.#sinks.delete(name);
    if (this.#closed) return;
    try {
      await this.#startEntry(name, next);
    } catch (err) {
      // A switch after a drain is retried on `next` (going back would read the old topics again).
      if (!fallBack) throw err;
      // Back on the config it ran before, so a bad section never leaves the sink stopped.
      const reason = `sink ${name} did not start on the new config: ${(err as Error).message}`;
      if (!s) throw new Error(reason, { cause: err });
      try {
        await this.#startEntry(name, s.config);
      } catch (again) {
        throw new Error(`${reason}; restarting it on its previous config failed too: ${(again as Error).message}`, {
          cause: err,
        });
      }
      throw new Error(`${reason}; it runs on its previous config`, { cause: err });
    }
  }

  /**
   * Switches the sink to the newest target once its moved logIds are done on the leaving
   * topics: the group has consumed everything written up to the previous poll, and no record
   * of a moved logId has been fetched from a leaving topic for the quiet time (the routers
   * write them elsewhere now). Other logIds may go on writing those topics (a shared hash
   * bucket): only the moved ones are watched. Kafka errors while waiting are retried; a
   * switch that fails is retried on the new config, never undone. The wait ends only by the
   * switch, a newer reload of this sink, or close.
   */
  async #switchWhenDrained(
    name: string,
    entry: Entry,
    next: SpillwayConfig,
    leaving: TopicRef[],
    moved: ReadonlySet<string>,
    signal: AbortSignal,
  ): Promise<void> {
    const quietMs = this.#o.drainQuietMs ?? Math.max(DEFAULT_DRAIN_QUIET_MS, next.router.requestTimeoutMs + 5_000);
    const config = entry.config;
    const byCluster = new Map<string, string[]>();
    for (const r of leaving) byCluster.set(r.cluster, [...(byCluster.get(r.cluster) ?? []), r.topic]);
    const gone = new Set(leaving.map(refKey));
    // Counted from the reload: a moved logId that writes nothing still waits the quiet time.
    let lastMovedAt = Date.now();
    // A record of an unknown logId (or none) counts as the fallback logId's: it was placed as that.
    const known = new Set(config.logIds.map((l) => l.id));
    const fallback = config.router.fallbackLogId;
    entry.running.observe((id, writtenAsUnknown, cluster, topic) => {
      const as = id === undefined || writtenAsUnknown || !known.has(id) ? fallback : id;
      if (moved.has(as) && gone.has(`${cluster}/${topic}`)) lastMovedAt = Date.now();
    });
    const admins = [...byCluster.keys()].map(
      (c) =>
        [
          c,
          new KafkaAdmin(kafkaClusterOf(config.clusters.find((x) => x.name === c)!), 'spillway-sink-reload'),
        ] as const,
    );
    let previous: { ends: Map<string, bigint>; at: number } | undefined;
    let loggedAt = Date.now();
    const waiting = () => !signal.aborted && !this.#closed;
    try {
      while (waiting()) {
        try {
          const { committed, ends } = await leavingOffsets(admins, byCluster, sinkGroupId(name));
          // Everything written before the previous poll is consumed (delivered, or spilled).
          const caughtUp =
            previous !== undefined && [...previous.ends].every(([k, end]) => (committed.get(k) ?? 0n) >= end);
          if (caughtUp && previous!.at - lastMovedAt >= quietMs) break;
          previous = { ends, at: Date.now() };
          if (Date.now() - loggedAt >= DRAIN_LOG_EVERY_MS) {
            loggedAt = Date.now();
            this.#o.logger.warn(
              { sink: name, moved: [...moved], leaving: leaving.map(refKey), caughtUp },
              caughtUp
                ? 'reload: records of the moved logIds still arrive on the topics leaving the plan; reload the routers'
                : 'reload: still draining the topics leaving the plan before switching',
            );
          }
        } catch (err) {
          if (Date.now() - loggedAt >= DRAIN_LOG_EVERY_MS) {
            loggedAt = Date.now();
            this.#o.logger.warn(
              { sink: name, err: (err as Error).message },
              'reload: cannot read the offsets of the topics leaving the plan; retrying',
            );
          }
        }
        await new Promise((r) => setTimeout(r, DRAIN_POLL_MS).unref());
      }
    } finally {
      entry.running.observe(undefined);
      await Promise.all(admins.map(([, a]) => a.close().catch(() => {})));
    }
    for (let attempt = 0; waiting(); attempt++) {
      try {
        await this.#serial(name, async () => {
          if (!waiting() || this.#pending.get(name)?.signal !== signal) return;
          if (attempt === 0)
            this.#o.logger.info({ sink: name }, 'reload: the old topics are drained; switching to the new placement');
          await this.#restart(name, this.#target, false);
          this.#pending.delete(name);
        });
        return;
      } catch (err) {
        this.#o.logger.error(
          { sink: name, err: (err as Error).message, attempt },
          'reload: switching the sink to the new placement failed; retrying on the new config',
        );
        await new Promise((r) => setTimeout(r, Math.min(30_000, 1_000 * 2 ** attempt)).unref());
      }
    }
  }

  #cancelPending(name: string): void {
    this.#pending.get(name)?.abort();
    this.#pending.delete(name);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const name of [...this.#pending.keys()]) this.#cancelPending(name);
    // After every change in progress: a sink being started is closed by #startEntry.
    await Promise.all([...this.#queues.values(), ...this.#drains]);
    await Promise.all(this.running.map((s) => s.close()));
    this.#sinks.clear();
  }
}

/** The group's committed offsets and the log ends on the leaving topics, per `cluster/topic/partition`. */
async function leavingOffsets(
  admins: readonly (readonly [string, KafkaAdmin])[],
  byCluster: ReadonlyMap<string, string[]>,
  groupId: string,
): Promise<{ committed: Map<string, bigint>; ends: Map<string, bigint> }> {
  const committed = new Map<string, bigint>();
  const ends = new Map<string, bigint>();
  for (const [cluster, admin] of admins) {
    const topics = byCluster.get(cluster)!;
    // Commits first, then the log ends: a commit read after the end could pass it.
    const commits = await admin.committedOffsets(groupId);
    const [end, start] = await Promise.all([admin.endOffsets(topics), admin.startOffsets(topics)]);
    for (const t of topics) {
      for (const [p, e] of (end.get(t) ?? []).entries()) {
        const k = `${cluster}/${t}/${p}`;
        ends.set(k, e);
        // No commit yet: nothing before the log start is left to read.
        committed.set(k, commits.get(t)?.get(p) ?? start.get(t)?.[p] ?? 0n);
      }
    }
  }
  return { committed, ends };
}

/** A removed sink's state gauges would keep their last value (and alerts firing) until the process restarts. */
async function forgetSinkGauges(telemetry: Telemetry | undefined, sink: string): Promise<void> {
  for (const m of SINK_GAUGES) await telemetry?.forget(m, { sink });
}

/** Every gauge labelled with the sink: its workers' state, in-flight and paused partitions. */
const SINK_GAUGES = [
  'spillway_sink_state',
  'spillway_sink_throttle_reject_probability',
  'spillway_sink_inflight_records',
  'spillway_sink_tier_inflight_records',
  'spillway_sink_paused_partitions',
  'spillway_sink_tier_paused',
] as const;
