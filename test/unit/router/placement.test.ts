import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../config/load.ts';
import {
  bucketOf,
  channelOfTopic,
  chooseCluster,
  criticalityOfTopic,
  levelClassOf,
  place,
  topicName,
} from '../../../router/placement.ts';
import { murmur3 } from '../../../router/placement-hash.ts';
import { planPlacement } from '../../../router/placement-plan.ts';
import { baseDocument } from '../config/fixtures.ts';

const ids = Array.from({ length: 10_000 }, (_, i) => `svc-${i}`);

// biome-ignore lint/suspicious/noExplicitAny: test documents are mutated freely
function config(mutate: (d: Record<string, any>) => void = () => {}) {
  const doc = baseDocument();
  mutate(doc);
  return validateConfig(doc, 'placement.yaml', { env: {} });
}

describe('murmur3', () => {
  it('matches the reference vectors', () => {
    expect(murmur3('', 0)).toBe(0);
    expect(murmur3('hello', 0)).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog', 0x9747b28c)).toBe(0x2fa826cd);
  });
});

describe('chooseCluster (rendezvous)', () => {
  it('is deterministic and independent of pool order', () => {
    for (const id of ids.slice(0, 200)) {
      expect(chooseCluster(id, ['a', 'b', 'c'])).toBe(chooseCluster(id, ['c', 'a', 'b']));
    }
  });
  it('adding a 4th cluster moves ~25% of logIds, all onto the new one', () => {
    const before = ids.map((id) => chooseCluster(id, ['k1', 'k2', 'k3']));
    const after = ids.map((id) => chooseCluster(id, ['k1', 'k2', 'k3', 'k4']));
    let moved = 0;
    ids.forEach((_, i) => {
      if (before[i] !== after[i]) {
        moved++;
        expect(after[i]).toBe('k4');
      }
    });
    expect(moved / ids.length).toBeGreaterThanOrEqual(0.22);
    expect(moved / ids.length).toBeLessThanOrEqual(0.28);
  });
  it('removing a cluster moves only the logIds it held', () => {
    const before = ids.map((id) => chooseCluster(id, ['k1', 'k2', 'k3', 'k4']));
    const after = ids.map((id) => chooseCluster(id, ['k1', 'k2', 'k4']));
    ids.forEach((_, i) => {
      if (before[i] !== 'k3') expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe('k3');
    });
  });
  it('spreads logIds evenly over a pool', () => {
    const counts = new Map<string, number>();
    for (const id of ids) {
      const c = chooseCluster(id, ['k1', 'k2', 'k3', 'k4']);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(Math.abs(n - 2500)).toBeLessThan(250);
  });
});

describe('buckets and topic names', () => {
  it('spreads logIds roughly evenly over hash buckets', () => {
    const counts = new Array(8).fill(0);
    for (const id of ids) counts[Number(bucketOf(id, false, 8).slice(1))]++;
    for (const n of counts) expect(Math.abs(n - 1250)).toBeLessThan(150);
  });
  it('names dedicated and hashed topics', () => {
    expect(topicName('S', 'error', bucketOf('payments', true, 4))).toBe('spw.s.error.d-payments');
    expect(topicName('C', 'info', 'h3')).toBe('spw.c.info.h3');
    expect(bucketOf('payments', false, 4)).toMatch(/^h[0-3]$/);
  });
  it('uses the per-logId level classes when given', () => {
    const c = config((d) => {
      d.logIds[0].levelClasses = { loud: ['fatal', 'error', 'warn'], quiet: ['info', 'debug', 'trace'] };
    });
    expect(levelClassOf(c.logIds[0]!, 'warn', c)).toBe('loud');
    expect(levelClassOf(c.logIds[1]!, 'warn', c)).toBe('warn');
    expect(levelClassOf(c.logIds[1]!, 'trace', c)).toBe('info');
  });
});

describe('place', () => {
  const c = config((d) => {
    d.logIds.push({ id: 'audit', name: 'Audit', owner: 'sec', importance: 'S', sinks: ['search'], dedicated: true });
  });
  it('gives golden placements for fixed inputs', () => {
    expect(place({ logId: 'payments', level: 'error', host: 'web-1' }, c)).toEqual({
      cluster: 'main',
      topic: 'spw.s.error.h1',
      key: 'payments|web-1',
      logId: 'payments',
      levelClass: 'error',
      fallback: false,
    });
    expect(place({ logId: 'audit', level: 'debug', host: 'db-2' }, c)).toEqual({
      cluster: 'aux',
      topic: 'spw.s.info.d-audit',
      key: 'audit|db-2',
      logId: 'audit',
      levelClass: 'info',
      fallback: false,
    });
    expect(place({ logId: 'unknown', level: 'warn' }, c)).toEqual({
      cluster: 'aux',
      topic: 'spw.c.warn.h3',
      key: 'unknown|',
      logId: 'unknown',
      levelClass: 'warn',
      fallback: false,
    });
  });
  it('places an unknown logId like the fallback logId, flagged, keyed by its own id', () => {
    const p = place({ logId: 'who-knows', level: 'info', host: 'h' }, c);
    const f = place({ logId: 'unknown', level: 'info', host: 'h' }, c);
    expect(p).toEqual({ ...f, key: 'who-knows|h', fallback: true });
  });
  it('keeps one host of one logId on one key, different hosts on different keys', () => {
    const a = place({ logId: 'payments', level: 'info', host: 'a' }, c);
    expect(place({ logId: 'payments', level: 'info', host: 'a' }, c)).toEqual(a);
    expect(place({ logId: 'payments', level: 'info', host: 'b' }, c).key).not.toBe(a.key);
  });
});

describe('planPlacement', () => {
  it('lists topics per cluster, sinks per topic, and counts the budget', () => {
    const c = config((d) => {
      d.pools.gutter = 'aux';
    });
    const plan = planPlacement(c);
    const main = plan.clusters.find((x) => x.name === 'main')!;
    const aux = plan.clusters.find((x) => x.name === 'aux')!;
    // payments (S) is on main (see the golden values); unknown (C) is on aux, with the gutter topics.
    expect(main.topics.map((t) => `${t.name}:${t.kind}:${t.partitions}`)).toEqual([
      'spw.s.error.h1:hashed:3',
      'spw.s.info.h1:hashed:3',
      'spw.s.warn.h1:hashed:3',
    ]);
    expect(main.partitions).toBe(9);
    expect(aux.topics.map((t) => `${t.name}:${t.kind}:${t.partitions}`)).toEqual([
      'spw.c.error.h3:hashed:3',
      'spw.c.info.h3:hashed:3',
      'spw.c.warn.h3:hashed:3',
      'spw.dlq.archive:dead-letter:3',
      'spw.dlq.search:dead-letter:3',
      'spw.gutter.archive:gutter:3',
      'spw.gutter.search:gutter:3',
    ]);
    expect(aux.partitions).toBe(21);
    expect(aux.budget).toBe(1000);
    const search = plan.sinks.find((s) => s.name === 'search')!;
    expect(search.consumes).toEqual([
      { cluster: 'main', topic: 'spw.s.error.h1' },
      { cluster: 'main', topic: 'spw.s.info.h1' },
      { cluster: 'main', topic: 'spw.s.warn.h1' },
    ]);
    expect(search.gutter).toEqual([{ cluster: 'aux', topic: 'spw.gutter.search' }]);
    expect(plan.logIds[0]).toEqual({
      id: 'payments',
      importance: 'S',
      cluster: 'main',
      dedicated: false,
      topics: { error: 'spw.s.error.h1', warn: 'spw.s.warn.h1', info: 'spw.s.info.h1' },
    });
  });
  it('creates a hash-bucket topic on a cluster only where some logId lands', () => {
    const c = config((d) => {
      d.pools.S = ['main', 'aux'];
      for (let i = 0; i < 40; i++)
        d.logIds.push({ id: `s-${i}`, name: 'x', owner: 'y', importance: 'S', sinks: ['search'] });
    });
    const plan = planPlacement(c);
    for (const cluster of plan.clusters) {
      for (const t of cluster.topics.filter((x) => x.kind === 'hashed')) {
        expect(t.logIds.length).toBeGreaterThan(0);
        for (const id of t.logIds) expect(plan.logIds.find((l) => l.id === id)!.cluster).toBe(cluster.name);
      }
    }
  });
});

describe('channelOfTopic / criticalityOfTopic', () => {
  it.each([
    ['spw.s.error.h2', { importance: 'S', levelClass: 'error' }, 'CRITICAL_PLUS'],
    ['spw.s.info.d-checkout-api', { importance: 'S', levelClass: 'info' }, 'CRITICAL'],
    ['spw.a.error.d-payments', { importance: 'A', levelClass: 'error' }, 'CRITICAL'],
    ['spw.a.warn.h0', { importance: 'A', levelClass: 'warn' }, 'SHEDDABLE_PLUS'],
    ['spw.b.error.h7', { importance: 'B', levelClass: 'error' }, 'SHEDDABLE_PLUS'],
    ['spw.b.noisy.h1', { importance: 'B', levelClass: 'noisy' }, 'SHEDDABLE'],
    ['spw.c.error.d-clicks', { importance: 'C', levelClass: 'error' }, 'SHEDDABLE'],
  ] as const)('%s carries %o, criticality %s', (topic, channel, criticality) => {
    expect(channelOfTopic(topic)).toEqual(channel);
    expect(criticalityOfTopic(topic)).toBe(criticality);
  });

  it.each(['spw.gutter.search', 'spw.dlq.search', 'other.topic', 'spw.x.error.h1'])(
    '%s is no channel: SHEDDABLE',
    (topic) => {
      expect(channelOfTopic(topic)).toBeUndefined();
      expect(criticalityOfTopic(topic)).toBe('SHEDDABLE');
    },
  );

  it('reads back every topic the router places to', () => {
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug'] as const) {
      const p = place({ logId: 'payments', level, host: 'h' }, config());
      expect(channelOfTopic(p.topic)).toEqual({ importance: 'S', levelClass: p.levelClass });
    }
  });
});
