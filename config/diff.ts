/**
 * What changes between two validated configs, in the terms an operator acts on: placement
 * moves, topics to create, sinks gaining or losing logIds, and the keys a running component
 * can only take at start. `spillway config diff OLD NEW` prints it; every component's live
 * reload (config/reload.ts) refuses a new file whose diff has restart keys for it.
 */
import { planPlacement } from '../router/placement-plan.ts';
import type { SpillwayConfig } from './schema.ts';

export type ReloadingComponent = 'router' | 'agent' | 'sink' | 'monitor';

/**
 * Keys a component reads once, at start (listening sockets, connections, buffers sized at
 * start). Any change under one of these paths is refused by that component's reload with
 * the reason; every other key either applies live or does not concern it.
 */
export interface RestartRule {
  /** A key path; `[*]` stands for any element (`sinks[*].gutter.cluster`). */
  path: string;
  why: string;
  /** Keys under `path` that do apply live. */
  except?: readonly string[];
}

/** A cluster's partition budget is only checked by validation: changing it restarts nothing. */
const CLUSTER_LIVE = ['clusters[*].partitionBudget'];
const GUTTER_MOVE =
  'records waiting in the gutter and dead-letter topics on the old cluster would no longer be read: let the drainer empty them (spillway_gutter_lag_records 0) and replay the dead letters first, docs/operations.md#live-reload';

export const RESTART_KEYS: Readonly<Record<ReloadingComponent, readonly RestartRule[]>> = {
  router: [
    { path: 'clusters', why: "the router's Kafka connections are opened at start", except: CLUSTER_LIVE },
    { path: 'router.listen', why: 'the listening socket is bound at start' },
    { path: 'router.requestTimeoutMs', why: "the HTTP server's timeouts are set at start" },
    { path: 'router.idleTimeoutMs', why: "the HTTP server's keep-alive timeout is set at start" },
    { path: 'router.produceLingerMs', why: 'the produce coalescers are built at start' },
    { path: 'router.quota', why: 'the global quota lease (Redis) is set up at start' },
  ],
  sink: [
    { path: 'clusters', why: "the sinks' Kafka connections are opened at start", except: CLUSTER_LIVE },
    { path: 'pools.gutter', why: GUTTER_MOVE },
    { path: 'sinks[*].gutter.cluster', why: GUTTER_MOVE },
    { path: 'sinks[*].gutter.enabled', why: GUTTER_MOVE },
  ],
  monitor: [
    { path: 'clusters', why: "the monitor's Kafka connections are opened at start", except: CLUSTER_LIVE },
    { path: 'monitor.listen', why: 'the listening socket is bound at start' },
    { path: 'monitor.intervalMs', why: 'the sampler is scheduled at start' },
    { path: 'monitor.historyMs', why: 'the history buffer is sized at start' },
  ],
  agent: [
    { path: 'agent.spool', why: 'the spool directory is opened and sized at start' },
    { path: 'agent.origin', why: 'origin fields are stamped by parsers built at start' },
    { path: 'agent.uplink.url', why: 'the uplink connection pool is built at start' },
    { path: 'agent.uplink.compression', why: 'the shipper compresses with the codec chosen at start' },
    { path: 'agent.uplink.batch', why: 'the batcher is sized at start' },
    { path: 'agent.uplink.connectTimeoutMs', why: 'the uplink connection pool is built at start' },
    { path: 'agent.uplink.requestTimeoutMs', why: 'the uplink client is built at start' },
  ],
};

type Keyed = { id?: unknown; name?: unknown };

/** An array element's name in a path: `logIds[checkout]`, `sinks[search]`, else its index. */
function keyOf(v: unknown, i: number): string {
  if (typeof v === 'object' && v !== null) {
    const k = (v as Keyed).id ?? (v as Keyed).name;
    if (typeof k === 'string') return k;
  }
  return String(i);
}

function keyedArray(a: readonly unknown[]): Map<string, unknown> | undefined {
  const m = new Map<string, unknown>();
  for (const [i, v] of a.entries()) {
    const k = keyOf(v, i);
    if (k === String(i) || m.has(k)) return undefined;
    m.set(k, v);
  }
  return m;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Paths whose value differs, as deep as both sides are objects (arrays of named elements
 * are compared by name, so reordering logIds is no change; other arrays as wholes).
 * Sorted. `a.b`, `logIds[checkout].sinks`, `sinks[search]` (added or removed).
 */
export function changedPaths(before: unknown, after: unknown, prefix = ''): string[] {
  if (Object.is(before, after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    const out: string[] = [];
    for (const k of keys) out.push(...changedPaths(before[k], after[k], prefix ? `${prefix}.${k}` : k));
    return out.sort();
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const a = keyedArray(before);
    const b = keyedArray(after);
    if (a && b) {
      const out: string[] = [];
      for (const k of new Set([...a.keys(), ...b.keys()]))
        out.push(...changedPaths(a.get(k), b.get(k), `${prefix}[${k}]`));
      return out.sort();
    }
    if (before.length === after.length && before.every((v, i) => changedPaths(v, after[i]).length === 0)) return [];
  }
  return [prefix];
}

/** True when `path` is `prefix` or lies under it; `[*]` in `prefix` matches any element. */
export function isUnder(path: string, prefix: string): boolean {
  if (!prefix.includes('[*]')) return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
  const pattern = prefix
    .split('[*]')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\[[^\\]]+\\]');
  return new RegExp(`^${pattern}(?:$|[.[])`).test(path);
}

export interface RestartKey {
  path: string;
  why: string;
}

/** The changed keys `component` can only take by a restart, with the reason; empty when a reload can apply everything. */
export function restartRequired(changed: readonly string[], component: ReloadingComponent): RestartKey[] {
  const out: RestartKey[] = [];
  for (const path of changed) {
    const rule = RESTART_KEYS[component].find((r) => isUnder(path, r.path) && !r.except?.some((e) => isUnder(path, e)));
    if (rule) out.push({ path, why: rule.why });
  }
  return out;
}

/** What a reload says when it refuses restart keys: each key, what to restart, and why. */
export function restartMessage(keys: readonly RestartKey[], component: ReloadingComponent): string {
  return keys.map((r) => `${r.path} changed: restart the ${component} to apply it (${r.why})`).join('; ');
}

export interface PlacementMove {
  logId: string;
  /** `cluster/topic` per level class, before and after. */
  from: Record<string, string>;
  to: Record<string, string>;
}

export interface ConfigDiff {
  /** Every changed key path, sorted. */
  changed: string[];
  logIds: { added: string[]; removed: string[] };
  /** logIds present on both sides whose topics (or cluster) differ. */
  moves: PlacementMove[];
  /** Topics the new plan has and the old one did not: a router reload creates them first. */
  topicsToCreate: { cluster: string; topic: string; partitions: number }[];
  /** Topics the old plan had and the new one does not (Spillway never deletes them). */
  topicsLeaving: { cluster: string; topic: string }[];
  sinks: {
    name: string;
    change: 'added' | 'removed' | 'changed';
    gains: string[];
    loses: string[];
    /** Its logIds that move to other topics (it reads the new ones once the old are drained). */
    moved: string[];
    /** Its own section changed (destination, batch, throttle…): the sink alone restarts its workers. */
    settings: boolean;
  }[];
  /** Per component, the keys that need a restart (a reload refuses the file). */
  restart: Partial<Record<ReloadingComponent, RestartKey[]>>;
}

const topicsOf = (p: { cluster: string; topics: Record<string, string> }) =>
  Object.fromEntries(Object.entries(p.topics).map(([cls, t]) => [cls, `${p.cluster}/${t}`]));

const sinkLogIds = (c: SpillwayConfig, sink: string) => c.logIds.filter((l) => l.sinks.includes(sink)).map((l) => l.id);

export function diffConfigs(before: SpillwayConfig, after: SpillwayConfig): ConfigDiff {
  const changed = changedPaths(before, after);
  const pa = planPlacement(before);
  const pb = planPlacement(after);
  const oldIds = new Map(pa.logIds.map((l) => [l.id, l]));
  const newIds = new Map(pb.logIds.map((l) => [l.id, l]));
  const moves: PlacementMove[] = [];
  for (const [id, b] of newIds) {
    const a = oldIds.get(id);
    if (!a) continue;
    const from = topicsOf(a);
    const to = topicsOf(b);
    if (changedPaths(from, to).length > 0) moves.push({ logId: id, from, to });
  }
  const topicSet = (p: typeof pa) =>
    new Map(p.clusters.flatMap((c) => c.topics.map((t) => [`${c.name}/${t.name}`, { cluster: c.name, t }] as const)));
  const ta = topicSet(pa);
  const tb = topicSet(pb);
  const sinkNames = [...new Set([...before.sinks.map((s) => s.name), ...after.sinks.map((s) => s.name)])];
  const sinks: ConfigDiff['sinks'] = [];
  for (const name of sinkNames) {
    const inA = before.sinks.some((s) => s.name === name);
    const inB = after.sinks.some((s) => s.name === name);
    const la = new Set(inA ? sinkLogIds(before, name) : []);
    const lb = new Set(inB ? sinkLogIds(after, name) : []);
    const gains = [...lb].filter((x) => !la.has(x));
    const loses = [...la].filter((x) => !lb.has(x));
    const settings = inA && inB && changed.some((p) => isUnder(p, `sinks[${name}]`));
    const moved = moves.filter((m) => la.has(m.logId) && lb.has(m.logId)).map((m) => m.logId);
    if (!inA || !inB || settings || gains.length > 0 || loses.length > 0 || moved.length > 0)
      sinks.push({ name, change: !inA ? 'added' : !inB ? 'removed' : 'changed', gains, loses, moved, settings });
  }
  const restart: ConfigDiff['restart'] = {};
  for (const c of Object.keys(RESTART_KEYS) as ReloadingComponent[]) {
    const r = restartRequired(changed, c);
    if (r.length > 0) restart[c] = r;
  }
  return {
    changed,
    logIds: {
      added: [...newIds.keys()].filter((id) => !oldIds.has(id)),
      removed: [...oldIds.keys()].filter((id) => !newIds.has(id)),
    },
    moves,
    topicsToCreate: [...tb]
      .filter(([k]) => !ta.has(k))
      .map(([, { cluster, t }]) => ({ cluster, topic: t.name, partitions: t.partitions })),
    topicsLeaving: [...ta].filter(([k]) => !tb.has(k)).map(([, { cluster, t }]) => ({ cluster, topic: t.name })),
    sinks,
    restart,
  };
}

/** The diff as `spillway config diff` prints it. */
export function formatDiff(d: ConfigDiff, names: { before: string; after: string }): string {
  if (d.changed.length === 0) return `${names.before} -> ${names.after}: no change\n`;
  const out: string[] = [`${names.before} -> ${names.after}: ${d.changed.length} changed key(s)`];
  const section = (title: string, lines: string[]) => {
    if (lines.length > 0) out.push('', `${title}:`, ...lines.map((l) => `  ${l}`));
  };
  section('logIds', [...d.logIds.added.map((id) => `+ ${id}`), ...d.logIds.removed.map((id) => `- ${id}`)]);
  section(
    'placement moves (follow docs/operations.md#changing-placement-without-loss: routers first, sinks once the old topics are drained)',
    d.moves.flatMap((m) =>
      Object.keys({ ...m.from, ...m.to }).map(
        (cls) => `${m.logId} [${cls}]: ${m.from[cls] ?? '(none)'} -> ${m.to[cls] ?? '(none)'}`,
      ),
    ),
  );
  section(
    'topics to create',
    d.topicsToCreate.map((t) => `${t.cluster}/${t.topic} (${t.partitions} partitions)`),
  );
  section(
    'topics leaving the plan (drained by the sinks, then left to retention; Spillway never deletes them)',
    d.topicsLeaving.map((t) => `${t.cluster}/${t.topic}`),
  );
  section(
    'sinks',
    d.sinks.map((s) => {
      const parts = [
        ...(s.gains.length > 0 ? [`gains ${s.gains.join(', ')}`] : []),
        ...(s.loses.length > 0 ? [`loses ${s.loses.join(', ')}`] : []),
        ...(s.moved.length > 0 ? [`reads the moved ${s.moved.join(', ')} from the new topics`] : []),
        ...(s.settings ? ['settings changed'] : []),
      ];
      return `${s.change === 'added' ? '+' : s.change === 'removed' ? '-' : '~'} ${s.name}${parts.length > 0 ? `: ${parts.join('; ')}` : ''}`;
    }),
  );
  const restart = Object.entries(d.restart).flatMap(([c, keys]) => keys.map((k) => `${c}: ${k.path} (${k.why})`));
  section('needs a restart (a reload refuses this file)', restart);
  section('changed keys', d.changed);
  return `${out.join('\n')}\n`;
}
