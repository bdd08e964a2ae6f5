import { describe, expect, it } from 'vitest';
import {
  type ClusterOffsets,
  computeLag,
  DEFAULT_LAG_THRESHOLD_SEC,
  type LagModel,
  type LagReport,
  type OffsetSnapshot,
} from '../../../monitor/lag.ts';
import { renderLagTable } from '../../../monitor/table.ts';
import type { PlacementPlan, PlannedTopic } from '../../../router/placement-plan.ts';

const topic = (name: string, kind: PlannedTopic['kind'], partitions: number, logIds: string[]): PlannedTopic => ({
  name,
  kind,
  partitions,
  replicationFactor: 1,
  retentionMs: 1,
  logIds,
});

/**
 * s1 reads logIds a (dedicated topic d-a, 2 partitions), b and c (hashed topic h-1, shared);
 * s2 reads only c, from the same hashed topic; s1 has a gutter, s2 has none.
 */
const plan: PlacementPlan = {
  clusters: [
    {
      name: 'main',
      budget: 100,
      partitions: 0,
      topics: [
        topic('d-a', 'dedicated', 2, ['a']),
        topic('h-1', 'hashed', 1, ['b', 'c']),
        topic('spw.dlq.s1', 'dead-letter', 2, ['a', 'b', 'c']),
        topic('spw.dlq.s2', 'dead-letter', 1, ['c']),
        topic('spw.gutter.s1', 'gutter', 1, ['a', 'b', 'c']),
      ],
    },
  ],
  sinks: [
    {
      name: 's1',
      type: 'blackhole',
      consumes: [
        { cluster: 'main', topic: 'd-a' },
        { cluster: 'main', topic: 'h-1' },
      ],
      gutter: [{ cluster: 'main', topic: 'spw.gutter.s1' }],
      deadLetter: [{ cluster: 'main', topic: 'spw.dlq.s1' }],
    },
    {
      name: 's2',
      type: 'blackhole',
      consumes: [{ cluster: 'main', topic: 'h-1' }],
      gutter: [],
      deadLetter: [{ cluster: 'main', topic: 'spw.dlq.s2' }],
    },
  ],
  logIds: [
    { id: 'a', importance: 'A', cluster: 'main', dedicated: true, topics: { all: 'd-a' } },
    { id: 'b', importance: 'C', cluster: 'main', dedicated: false, topics: { all: 'h-1' } },
    { id: 'c', importance: 'C', cluster: 'main', dedicated: false, topics: { all: 'h-1' } },
  ],
};

const model: LagModel = {
  plan,
  logIds: [
    { id: 'a', sinks: ['s1'], lagThresholdSec: 10 },
    { id: 'b', sinks: ['s1'] },
    { id: 'c', sinks: ['s1', 's2'] },
  ],
};

/** Log ends: d-a [5, 3] from starts [0, 1]; h-1 [10] from [0]; empty gutter and dead-letter topics. */
function offsets(over: Partial<ClusterOffsets> = {}): ClusterOffsets {
  return {
    end: { 'd-a': [5, 3], 'h-1': [10], 'spw.gutter.s1': [0], 'spw.dlq.s1': [0, 0], 'spw.dlq.s2': [0], ...over.end },
    start: { 'd-a': [0, 1], 'h-1': [0], 'spw.gutter.s1': [0], 'spw.dlq.s1': [0, 0], 'spw.dlq.s2': [0], ...over.start },
    committed: over.committed ?? {},
  };
}

const snap = (atMs: number, o: ClusterOffsets): OffsetSnapshot => ({ atMs, clusters: { main: o } });

/** Runs the samples in order, each against the one before, and returns the last report. */
function run(...snaps: OffsetSnapshot[]): LagReport {
  let prev: OffsetSnapshot | undefined;
  let report: LagReport | undefined;
  for (const s of snaps) {
    report = computeLag(model, s, prev, report);
    prev = s;
  }
  return report!;
}

const sink = (r: LagReport, name: string) => r.sinks.find((s) => s.sink === name)!;
const row = (r: LagReport, s: string, logId: string) => r.logIds.find((l) => l.sink === s && l.logId === logId)!;

describe('computeLag: records', () => {
  it.each<{ name: string; committed: ClusterOffsets['committed']; s1: number; a: number; b: number; s2: number }>([
    {
      name: 'no commits: every partition counts from its log start',
      committed: {},
      s1: 17, // d-a (5-0)+(3-1) + h-1 10
      a: 7,
      b: 10,
      s2: 10,
    },
    {
      name: 'partial commits: only d-a p0 committed at 3',
      committed: { 'spw.sink.s1': { 'd-a': { 0: 3 } } },
      s1: 14, // (5-3) + (3-1) + 10
      a: 4,
      b: 10,
      s2: 10,
    },
    {
      name: 'commits everywhere; s2 has its own group',
      committed: { 'spw.sink.s1': { 'd-a': { 0: 5, 1: 2 }, 'h-1': { 0: 4 } }, 'spw.sink.s2': { 'h-1': { 0: 9 } } },
      s1: 7, // 0 + 1 + 6
      a: 1,
      b: 6,
      s2: 1,
    },
    {
      name: 'a commit below the log start counts from the start; one past the end counts 0',
      committed: { 'spw.sink.s1': { 'd-a': { 0: 9, 1: 0 }, 'h-1': { 0: 10 } } },
      s1: 2, // 0 + (3-1) + 0
      a: 2,
      b: 0,
      s2: 10,
    },
  ])('$name', ({ committed, s1, a, b, s2 }) => {
    const r = run(snap(1_000, offsets({ committed })));
    expect(sink(r, 's1').lagRecords).toBe(s1);
    expect(sink(r, 's2').lagRecords).toBe(s2);
    expect(row(r, 's1', 'a').lagRecords).toBe(a);
    expect(row(r, 's1', 'b').lagRecords).toBe(b);
    // The hashed topic's lag is attributed to every logId on it.
    expect(row(r, 's1', 'c').lagRecords).toBe(b);
    expect(row(r, 's2', 'c').lagRecords).toBe(s2);
  });

  it('lists every partition of the main group and the drainer with its offsets', () => {
    const r = run(snap(1_000, offsets({ committed: { 'spw.sink.s1': { 'd-a': { 0: 3 } } } })));
    expect(sink(r, 's1').partitions).toEqual([
      {
        group: 'sink',
        cluster: 'main',
        topic: 'd-a',
        partition: 0,
        start: 0,
        end: 5,
        committed: 3,
        lag: 2,
        consumed: null,
      },
      {
        group: 'sink',
        cluster: 'main',
        topic: 'd-a',
        partition: 1,
        start: 1,
        end: 3,
        committed: null,
        lag: 2,
        consumed: null,
      },
      {
        group: 'sink',
        cluster: 'main',
        topic: 'h-1',
        partition: 0,
        start: 0,
        end: 10,
        committed: null,
        lag: 10,
        consumed: null,
      },
      {
        group: 'drainer',
        cluster: 'main',
        topic: 'spw.gutter.s1',
        partition: 0,
        start: 0,
        end: 0,
        committed: null,
        lag: 0,
        consumed: null,
      },
    ]);
  });

  it('marks logIds on hashed topics as shared, naming the others; a dedicated logId is not', () => {
    const r = run(snap(1_000, offsets()));
    expect(r.logIds.map((l) => [l.sink, l.logId, l.shared, l.sharedWith, l.topics])).toEqual([
      ['s1', 'a', false, [], ['d-a']],
      ['s1', 'b', true, ['c'], ['h-1']],
      ['s1', 'c', true, ['b'], ['h-1']],
      ['s2', 'c', true, ['b'], ['h-1']],
    ]);
    expect(row(r, 's1', 'b').thresholdSec).toBe(DEFAULT_LAG_THRESHOLD_SEC);
    expect(row(r, 's1', 'a').thresholdSec).toBe(10);
  });

  it('rolls lag up per channel over the sinks reading it (hashed topic read by s1 and s2)', () => {
    const r = run(
      snap(1_000, offsets({ committed: { 'spw.sink.s1': { 'h-1': { 0: 4 } }, 'spw.sink.s2': { 'h-1': { 0: 7 } } } })),
    );
    expect(r.channels.map((c) => [c.topic, c.kind, c.lagRecords, c.sinks, c.logIds])).toEqual([
      ['d-a', 'dedicated', 7, { s1: 7 }, ['a']],
      ['h-1', 'hashed', 9, { s1: 6, s2: 3 }, ['b', 'c']],
      ['spw.gutter.s1', 'gutter', 0, { s1: 0 }, ['a', 'b', 'c']],
    ]);
  });

  it.each([
    { name: 'end - start of the dead-letter topic', start: { 'spw.dlq.s1': [1, 0] }, want: 4 },
    { name: 'end offsets when no start is known', start: { 'spw.dlq.s1': undefined as unknown as number[] }, want: 5 },
  ])('dead letters: $name', ({ start, want }) => {
    const r = run(snap(1_000, offsets({ end: { 'spw.dlq.s1': [3, 2] }, start })));
    expect(sink(r, 's1').deadLetters).toBe(want);
    expect(sink(r, 's2').deadLetters).toBe(0);
  });
});

describe('computeLag: rates, seconds and states', () => {
  const caughtUp = { 'spw.sink.s1': { 'd-a': { 0: 5, 1: 3 }, 'h-1': { 0: 10 } }, 'spw.sink.s2': { 'h-1': { 0: 10 } } };

  it('first sample: lag 0 is healthy with 0 s; lag > 0 is unknown (no rate yet)', () => {
    const r = run(snap(1_000, offsets({ committed: { 'spw.sink.s1': caughtUp['spw.sink.s1'] } })));
    expect([sink(r, 's1').state, sink(r, 's1').lagSeconds, sink(r, 's1').throughputPerSec]).toEqual([
      'healthy',
      0,
      null,
    ]);
    expect([sink(r, 's2').state, sink(r, 's2').lagSeconds]).toEqual(['unknown', null]);
    expect(sink(r, 's2').reason).toBe('one sample so far: lag seconds need the consumption rate between two samples');
    expect(r.sinceMs).toBeNull();
  });

  it('lag seconds = lag / (committed delta / time between samples)', () => {
    // 10 s apart: s1 commits 20 records on d-a p0 (lag 40 -> 20) and 10 on h-1 (lag 30 -> 20).
    const first = offsets({
      end: { 'd-a': [60, 1], 'h-1': [40] },
      start: { 'd-a': [0, 1] },
      committed: { 'spw.sink.s1': { 'd-a': { 0: 20 }, 'h-1': { 0: 10 } }, 'spw.sink.s2': { 'h-1': { 0: 0 } } },
    });
    const second = offsets({
      end: { 'd-a': [60, 1], 'h-1': [40] },
      start: { 'd-a': [0, 1] },
      committed: { 'spw.sink.s1': { 'd-a': { 0: 40 }, 'h-1': { 0: 20 } }, 'spw.sink.s2': { 'h-1': { 0: 40 } } },
    });
    const r = run(snap(0, first), snap(10_000, second));
    const s1 = sink(r, 's1');
    expect(r.sinceMs).toBe(10_000);
    expect(s1.lagRecords).toBe(40);
    expect(s1.throughputPerSec).toBe(3); // 30 records in 10 s
    // Slowest topic: d-a 20 / 2 per s = 10 s; h-1 20 / 1 per s = 20 s.
    expect(s1.lagSeconds).toBe(20);
    expect(row(r, 's1', 'a').lagSeconds).toBe(10);
    expect(row(r, 's1', 'b').lagSeconds).toBe(20);
    // a's threshold is 10 s (not over); b's is the default 60 s.
    expect(s1.state).toBe('healthy');
    expect(sink(r, 's2')).toMatchObject({ lagRecords: 0, lagSeconds: 0, throughputPerSec: 4, state: 'healthy' });
    expect(r.breaches).toEqual([]);
  });

  it('over a logId threshold: lagging, listed in breaches', () => {
    const first = offsets({
      end: { 'd-a': [100, 1] },
      committed: { 'spw.sink.s1': { 'd-a': { 0: 10 }, 'h-1': { 0: 10 } }, 'spw.sink.s2': caughtUp['spw.sink.s2'] },
    });
    const second = offsets({
      end: { 'd-a': [100, 1] },
      committed: { 'spw.sink.s1': { 'd-a': { 0: 20 }, 'h-1': { 0: 10 } }, 'spw.sink.s2': caughtUp['spw.sink.s2'] },
    });
    const r = run(snap(0, first), snap(2_000, second));
    // d-a: 80 behind at 5 records/s = 16 s > a's 10 s.
    expect(row(r, 's1', 'a')).toMatchObject({ lagRecords: 80, lagSeconds: 16, breached: true, state: 'lagging' });
    expect(sink(r, 's1')).toMatchObject({ state: 'lagging', breached: ['a'], lagSeconds: 16 });
    expect(sink(r, 's1').reason).toBe('logId "a" 16 s behind (threshold 10 s)');
    expect(r.breaches).toEqual([{ sink: 's1', logId: 'a', lagSeconds: 16, thresholdSec: 10 }]);
  });

  it('stalled: lag > 0 in both samples and no progress between them; lag seconds null', () => {
    const o = offsets({ committed: { 'spw.sink.s1': { 'd-a': { 0: 2 } } } });
    const r = run(snap(0, o), snap(5_000, o));
    expect(sink(r, 's1')).toMatchObject({
      state: 'stalled',
      lagRecords: 15,
      lagSeconds: null,
      throughputPerSec: 0,
      reason: 'no progress in 5 s with 15 records behind',
    });
    expect(row(r, 's1', 'a')).toMatchObject({ state: 'stalled', lagSeconds: null, breached: true });
    expect(r.breaches.map((b) => [b.sink, b.logId, b.lagSeconds])).toEqual([
      ['s1', 'a', null],
      ['s1', 'b', null],
      ['s1', 'c', null],
      ['s2', 'c', null],
    ]);
  });

  it('not stalled when the lag appeared only since the previous sample (records younger than the interval)', () => {
    const before = offsets({ end: { 'd-a': [0, 0], 'h-1': [0] }, start: { 'd-a': [0, 0] } });
    const after = offsets({ end: { 'd-a': [4, 0], 'h-1': [0] }, start: { 'd-a': [0, 0] } });
    const r = run(snap(0, before), snap(5_000, after));
    expect(sink(r, 's1')).toMatchObject({ state: 'healthy', lagRecords: 4, lagSeconds: null, throughputPerSec: 0 });
    expect(row(r, 's1', 'a')).toMatchObject({ state: 'healthy', breached: false });
  });

  it('gutter-draining: main group caught up, drainer behind', () => {
    const o = offsets({
      end: { 'spw.gutter.s1': [6] },
      committed: { ...caughtUp, 'spw.gutter.s1': { 'spw.gutter.s1': { 0: 2 } } },
    });
    const r = run(snap(0, o), snap(1_000, o));
    expect(sink(r, 's1')).toMatchObject({ state: 'gutter-draining', drainerLag: 4, lagRecords: 0, lagSeconds: 0 });
    expect(sink(r, 's1').reason).toBe('4 records in the gutter waiting for the drainer');
  });

  it('an unreadable cluster makes its sinks unknown and says why', () => {
    const r = computeLag(model, { atMs: 1, clusters: { main: { error: 'connect ECONNREFUSED' } } });
    expect(r.clusters).toEqual({ main: 'connect ECONNREFUSED' });
    expect(sink(r, 's1')).toMatchObject({
      state: 'unknown',
      lagRecords: 0,
      lagSeconds: null,
      errors: [{ cluster: 'main', error: 'connect ECONNREFUSED' }],
      reason: 'cluster "main" unreadable: connect ECONNREFUSED',
    });
    expect(row(r, 's1', 'a')).toMatchObject({ state: 'unknown', lagSeconds: null, breached: false });
    expect(r.breaches).toEqual([]);
    expect(renderLagTable(r).split('\n').slice(0, 3)).toEqual([
      'SINK  LOGID       LAG RECORDS  LAG SECONDS  STATE',
      's1    *                     ?            -  unknown',
      's1    a                     ?            -  unknown',
    ]);
  });
});

describe('computeLag: per tier (level class, importance)', () => {
  // Sink "search" reads pay (S, dedicated) and clicks (C, dedicated), each with error and info topics.
  const tierPlan: PlacementPlan = {
    clusters: [
      {
        name: 'main',
        budget: 100,
        partitions: 0,
        topics: [
          topic('spw.s.error.d-pay', 'dedicated', 1, ['pay']),
          topic('spw.s.info.d-pay', 'dedicated', 1, ['pay']),
          topic('spw.c.error.d-clicks', 'dedicated', 1, ['clicks']),
          topic('spw.c.info.d-clicks', 'dedicated', 2, ['clicks']),
        ],
      },
    ],
    sinks: [
      {
        name: 'search',
        type: 'blackhole',
        consumes: [
          { cluster: 'main', topic: 'spw.c.error.d-clicks' },
          { cluster: 'main', topic: 'spw.c.info.d-clicks' },
          { cluster: 'main', topic: 'spw.s.error.d-pay' },
          { cluster: 'main', topic: 'spw.s.info.d-pay' },
        ],
        gutter: [],
        deadLetter: [],
      },
    ],
    logIds: [
      { id: 'pay', importance: 'S', cluster: 'main', dedicated: true, topics: { error: 'spw.s.error.d-pay' } },
      { id: 'clicks', importance: 'C', cluster: 'main', dedicated: true, topics: { error: 'spw.c.error.d-clicks' } },
    ],
  };
  const tierModel: LagModel = { plan: tierPlan, logIds: [] };
  const at = (atMs: number, end: Record<string, number[]>, committed: Record<string, number[]>): OffsetSnapshot => ({
    atMs,
    clusters: {
      main: {
        end,
        start: Object.fromEntries(Object.entries(end).map(([t, e]) => [t, e.map(() => 0)])),
        committed: { 'spw.sink.search': committed },
      },
    },
  });

  it('splits the lag: INFO minutes behind while ERROR is current, S current while C lags', () => {
    const first = at(
      0,
      {
        'spw.s.error.d-pay': [10],
        'spw.s.info.d-pay': [100],
        'spw.c.error.d-clicks': [5],
        'spw.c.info.d-clicks': [50_000, 50_000],
      },
      {
        'spw.s.error.d-pay': [10],
        'spw.s.info.d-pay': [100],
        'spw.c.error.d-clicks': [5],
        'spw.c.info.d-clicks': [10_000, 10_000],
      },
    );
    const second = at(
      10_000,
      {
        'spw.s.error.d-pay': [30],
        'spw.s.info.d-pay': [300],
        'spw.c.error.d-clicks': [15],
        'spw.c.info.d-clicks': [90_000, 90_000],
      },
      {
        'spw.s.error.d-pay': [30],
        'spw.s.info.d-pay': [300],
        'spw.c.error.d-clicks': [15],
        // C info: 10,000 committed in 10 s, 150,000 behind.
        'spw.c.info.d-clicks': [15_000, 15_000],
      },
    );
    const first_ = computeLag(tierModel, first);
    const r = computeLag(tierModel, second, first, first_);
    expect(r.tiers).toEqual([
      { sink: 'search', by: 'level_class', tier: 'error', lagRecords: 0, lagSeconds: 0, throughputPerSec: 3 },
      {
        sink: 'search',
        by: 'level_class',
        tier: 'info',
        lagRecords: 150_000,
        lagSeconds: 147.059,
        throughputPerSec: 1020,
      },
      { sink: 'search', by: 'importance', tier: 'S', lagRecords: 0, lagSeconds: 0, throughputPerSec: 22 },
      { sink: 'search', by: 'importance', tier: 'C', lagRecords: 150_000, lagSeconds: 149.85, throughputPerSec: 1001 },
    ]);
    expect(renderLagTable(r).split('\n').slice(2)).toEqual([
      '',
      'SINK    TIER          LAG RECORDS  LAG SECONDS  RECORDS/S',
      'search  level error             0          0.0        3.0',
      'search  level info         150000          147     1020.0',
      'search  importance S            0          0.0       22.0',
      'search  importance C       150000          150     1001.0',
      '',
    ]);
  });
});
