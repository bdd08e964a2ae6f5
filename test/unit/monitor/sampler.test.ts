import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../config/load.ts';
import { createLogger } from '../../../core/logger.ts';
import { Telemetry } from '../../../core/telemetry.ts';
import { publishLag } from '../../../monitor/metrics.ts';
import { RingBuffer } from '../../../monitor/ring-buffer.ts';
import { type ClusterSettings, LagSampler, type OffsetReader } from '../../../monitor/sampler.ts';
import { parsePromText, type TargetScrape } from '../../../monitor/scrape.ts';
import { renderLagTable } from '../../../monitor/table.ts';

/** Sink "k" reads logId x (dedicated, on main) and y (dedicated, importance S, on aux). */
const doc = {
  clusters: [
    { name: 'main', brokers: ['127.0.0.1:1'] },
    { name: 'aux', brokers: ['127.0.0.1:2'] },
  ],
  pools: { S: ['aux'], A: ['main'], B: ['main'], C: ['main'] },
  channels: {
    dedicatedPartitionsPerTopic: 1,
    partitionsPerTopic: 1,
    levelClasses: { all: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
  },
  logIds: [
    { id: 'x', name: 'x', owner: 't', importance: 'A', sinks: ['k'], dedicated: true, lagThresholdSec: 30 },
    { id: 'y', name: 'y', owner: 't', importance: 'S', sinks: ['k'], dedicated: true },
    { id: 'unknown', name: 'unknown', owner: 't', importance: 'C', sinks: ['k'] },
  ],
  sinks: [{ type: 'blackhole', name: 'k', gutter: { cluster: 'main' } }],
};
const config = validateConfig(doc);

/** A reader whose topics all have end offset `end()` and no commits but `commits`. */
function fakeReader(end: () => number, commits: Map<string, Map<string, Map<number, bigint>>> = new Map()) {
  const calls: string[] = [];
  const reader: OffsetReader & { calls: string[] } = {
    calls,
    async endOffsets(topics) {
      calls.push(`end ${topics.length}`);
      return new Map(topics.map((t) => [t, [BigInt(end())]]));
    },
    async startOffsets(topics) {
      calls.push(`start ${topics.length}`);
      return new Map(topics.map((t) => [t, [0n]]));
    },
    async committedOffsets(group) {
      calls.push(`committed ${group}`);
      return commits.get(group) ?? new Map();
    },
    async close() {
      calls.push('close');
    },
  };
  return reader;
}

const quiet = createLogger('test').child({});
quiet.level = 'silent';

/** `spillway lag` for the stalled sink "k" of these tests: the per-logId and per-tier tables. */
const STALLED_TABLES = [
  'SINK  LOGID    LAG RECORDS  LAG SECONDS  STATE',
  'k     *                 12            -  stalled',
  'k     x                  4            -  stalled',
  'k     y                  4            -  stalled',
  'k     unknown            4            -  stalled',
  '',
  'SINK  TIER          LAG RECORDS  LAG SECONDS  RECORDS/S',
  'k     level all              12            -        0.0',
  'k     importance S            4            -        0.0',
  'k     importance A            4            -        0.0',
  'k     importance C            4            -        0.0',
  '',
];

describe('LagSampler', () => {
  it('reads each cluster through one reused reader; a failing cluster leaves the others readable', async () => {
    const readers = new Map<string, ReturnType<typeof fakeReader>>();
    let t = 0;
    let end = 8;
    const sampler = new LagSampler(config, {
      intervalMs: 1_000,
      historyMs: 3_000,
      now: () => t,
      logger: quiet,
      openReader: (c: ClusterSettings) => {
        const r =
          c.name === 'main'
            ? fakeReader(() => end, new Map([['spw.sink.k', new Map([['spw.a.all.d-x', new Map([[0, 2n]])]])]]))
            : {
                ...fakeReader(() => 0),
                endOffsets: async () => {
                  throw new Error('aux down');
                },
                committedOffsets: async () => {
                  throw new Error('aux down');
                },
              };
        readers.set(c.name, r as ReturnType<typeof fakeReader>);
        return r;
      },
    });
    const r1 = await sampler.sample();
    expect(r1.clusters).toEqual({ main: 'ok', aux: 'aux down' });
    const k = r1.sinks[0]!;
    expect(k.state).toBe('unknown');
    expect(k.errors).toEqual([{ cluster: 'aux', error: 'aux down' }]);
    const x = r1.logIds.find((l) => l.logId === 'x')!;
    expect([x.topics, x.lagRecords]).toEqual([['spw.a.all.d-x'], 6]);
    expect(r1.logIds.find((l) => l.logId === 'y')!.state).toBe('unknown');

    // Five samples one second apart; the history keeps ceil(3000 / 1000) + 1 = 4.
    for (let i = 1; i <= 5; i++) {
      t += 1_000;
      end += 1;
      await sampler.sample();
    }
    expect(readers.size).toBe(2);
    expect(sampler.history().map((p) => p.atMs)).toEqual([2_000, 3_000, 4_000, 5_000]);
    expect(sampler.history(1).map((p) => p.atMs)).toEqual([4_000, 5_000]);
    expect(
      sampler
        .history()
        .at(-1)!
        .logIds.find((l) => l.logId === 'x'),
    ).toEqual({
      sink: 'k',
      logId: 'x',
      lagRecords: 11,
      lagSeconds: null,
      shared: false,
    });
    // main: commits of the sink group and the drainer (the gutter is on main) before the offsets of its 4 topics (x's, the hashed one, gutter, dead letters).
    expect(readers.get('main')!.calls.slice(0, 4)).toEqual([
      'committed spw.sink.k',
      'committed spw.gutter.k',
      'end 4',
      'start 4',
    ]);
    await sampler.close();
    expect(readers.get('main')!.calls.at(-1)).toBe('close');
  });

  it('publishes gauges with sink and configured logId labels; stalled lag seconds are +Inf', async () => {
    let t = 0;
    const sampler = new LagSampler(config, {
      intervalMs: 1_000,
      now: () => t,
      logger: quiet,
      openReader: () => fakeReader(() => 4),
    });
    await sampler.sample();
    t = 1_000;
    const report = await sampler.sample();
    const telemetry = new Telemetry('monitor');
    publishLag(telemetry, report);
    const text = (await telemetry.expose()).body;
    // Three topics (x's, y's, the hashed one of "unknown", alone on it so not shared), 4 records each, no commits.
    expect(text).toContain('spillway_consumer_lag_records{component="monitor",sink="k"} 12');
    expect(text).toContain('spillway_lag_state{component="monitor",sink="k",state="healthy"} 0');
    expect(text).toContain('spillway_lag_state{component="monitor",sink="k",state="stalled"} 1');
    expect(text).toContain('spillway_consumer_lag_seconds{component="monitor",sink="k"} +Inf');
    expect(text).toContain('spillway_logid_lag_records{component="monitor",sink="k",logid="x"} 4');
    expect(text).toContain('spillway_logid_lag_seconds{component="monitor",sink="k",logid="x"} +Inf');
    expect(text).toContain('spillway_lag_threshold_breached{component="monitor",sink="k",logid="x"} 1');
    expect(text).toContain('spillway_gutter_lag_records{component="monitor",sink="k"} 4');
    expect(text).toContain('spillway_dead_letter_records{component="monitor",sink="k"} 4');
    expect(text).toContain('spillway_consumer_throughput_records_per_second{component="monitor",sink="k"} 0');
    expect(text).toContain('spillway_monitor_cluster_up{component="monitor",cluster="aux"} 1');
    // Per tier: level class and importance of the topics (x is A, y is S, unknown is C).
    expect(text).toContain('spillway_tier_lag_records{component="monitor",sink="k",by="level_class",tier="all"} 12');
    expect(text).toContain('spillway_tier_lag_records{component="monitor",sink="k",by="importance",tier="S"} 4');
    expect(text).toContain('spillway_tier_lag_seconds{component="monitor",sink="k",by="importance",tier="A"} +Inf');
    expect(text).toContain(
      'spillway_tier_throughput_records_per_second{component="monitor",sink="k",by="importance",tier="C"} 0',
    );

    expect(renderLagTable(report)).toBe(STALLED_TABLES.join('\n'));
    await sampler.close();
  });
});

describe('spillway lag: rejected input lines', () => {
  const scraped = validateConfig({
    ...doc,
    monitor: {
      scrape: [
        { name: 'agent-b', url: 'http://127.0.0.1:1/metrics' },
        { name: 'agent-a', url: 'http://127.0.0.1:2/metrics' },
      ],
    },
  });
  /** Each scrape: agent-a's app-json refuses 25 more invalid JSON lines a second, kube 5 more lines without logId. */
  const agentA = (n: number) =>
    [
      `spillway_input_rejected_total{component="agent",input="app-json",reason="invalid-json"} ${6012 + 25 * n}`,
      'spillway_input_rejected_total{component="agent",input="app-json",reason="too-long"} 2',
      `spillway_input_records_total{component="agent",input="kube"} ${500 + 400 * n}`,
      'spillway_input_rejected_total{component="agent",input="kube",reason="bad-container-log"} 3',
      `spillway_input_rejected_total{component="agent",input="kube",reason="no-log-id"} ${5 * n}`,
    ].join('\n');
  // agent-b's only input refuses nothing: no row.
  const agentB = (n: number) => `spillway_input_records_total{component="agent",input="syslog-0"} ${40 + n}\n`;

  it('prints a third table of the inputs that refused lines, with the reasons most lines first', async () => {
    let t = 0;
    let n = 0;
    const sampler = new LagSampler(scraped, {
      intervalMs: 1_000,
      now: () => t,
      logger: quiet,
      openReader: () => fakeReader(() => 4),
      scrape: async (targets): Promise<TargetScrape[]> =>
        targets.map((x) => ({
          name: x.name,
          url: x.url,
          atMs: t,
          samples: parsePromText(x.name === 'agent-a' ? agentA(n) : agentB(n)),
        })),
    });
    // One sample (--interval-ms 0): totals, no rate yet; a reason still at 0 is not listed.
    const first = await sampler.sample();
    expect(renderLagTable(first).split('\n').slice(11)).toEqual([
      '',
      'Rejected input lines',
      'TARGET   INPUT     REJECTED  REJECTED/S  ACCEPTED  REASONS',
      'agent-a  app-json      6014           -         0  invalid-json 6012, too-long 2',
      'agent-a  kube             3           -       500  bad-container-log 3',
      '',
    ]);
    t = 1_000;
    n = 1;
    const report = await sampler.sample();
    expect(renderLagTable(report)).toBe(
      [
        ...STALLED_TABLES,
        'Rejected input lines',
        'TARGET   INPUT     REJECTED  REJECTED/S  ACCEPTED  REASONS',
        'agent-a  app-json      6039        25.0         0  invalid-json 6037, too-long 2',
        'agent-a  kube             8         5.0       900  no-log-id 5, bad-container-log 3',
        '',
      ].join('\n'),
    );
    await sampler.close();
  });

  it('prints no such table when no input refused a line', async () => {
    const sampler = new LagSampler(scraped, {
      intervalMs: 1_000,
      now: () => 0,
      logger: quiet,
      openReader: () => fakeReader(() => 4),
      scrape: async (targets) =>
        targets.map((x) => ({ name: x.name, url: x.url, atMs: 0, samples: parsePromText(agentB(0)) })),
    });
    const report = await sampler.sample();
    expect(report.flow!.inputs.map((i) => [i.target, i.input, i.accepted, i.rejected])).toEqual([
      ['agent-a', 'syslog-0', 40, 0],
      ['agent-b', 'syslog-0', 40, 0],
    ]);
    expect(renderLagTable(report)).not.toContain('Rejected input lines');
    await sampler.close();
  });
});

describe('RingBuffer', () => {
  it('keeps the newest `capacity` items, oldest first', () => {
    const b = new RingBuffer<number>(3);
    expect([b.toArray(), b.last(), b.size]).toEqual([[], undefined, 0]);
    for (const n of [1, 2, 3, 4, 5]) b.push(n);
    expect([b.toArray(), b.last(), b.size]).toEqual([[3, 4, 5], 5, 3]);
    expect(() => new RingBuffer(0)).toThrow('capacity must be >= 1, got 0');
  });
});
