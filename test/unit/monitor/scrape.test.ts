import { describe, expect, it } from 'vitest';
import { computeFlow, dashboardState, parsePromText, type TargetScrape } from '../../../monitor/scrape.ts';

const TEXT = `# HELP spillway_records_dropped_total Records refused or shed
# TYPE spillway_records_dropped_total counter
spillway_records_dropped_total{component="router",reason="overload",criticality="SHEDDABLE"} 40
spillway_records_dropped_total{component="router",reason="quota",criticality="CRITICAL"} 4
spillway_gutter_records_total{component="sink",sink="search",direction="in"} 100
spillway_gutter_records_total{component="sink",sink="search",direction="out"} 10
spillway_dead_letters_total{component="sink",sink="search"} 2
spillway_sink_state{component="sink",sink="search",state="healthy"} 0
spillway_sink_state{component="sink",sink="search",state="throttled"} 1
spillway_sink_state{component="sink",sink="search",state="open"} 0
spillway_sink_paused_partitions{component="sink",sink="search",worker="main"} 0
spillway_sink_state{component="sink",sink="not-configured",state="open"} 1
spillway_consumer_lag_seconds{component="monitor",sink="search"} +Inf
`;

function scrape(name: string, atMs: number, text: string | null, error?: string): TargetScrape {
  return {
    name,
    url: `http://127.0.0.1:1/${name}`,
    atMs,
    samples: text === null ? null : parsePromText(text),
    ...(error ? { error } : {}),
  };
}

describe('parsePromText', () => {
  it('reads names, labels (with escapes) and values, skipping comments', () => {
    const s = parsePromText('# TYPE x counter\nx{a="1",b="q\\"uote\\\\n"} 3.5\ny 7 1700000000000\nz{} NaN\nw -Inf\n\n');
    expect(s).toEqual([
      { name: 'x', labels: { a: '1', b: 'q"uote\\n' }, value: 3.5 },
      { name: 'y', labels: {}, value: 7 },
      { name: 'z', labels: {}, value: Number.NaN },
      { name: 'w', labels: {}, value: Number.NEGATIVE_INFINITY },
    ]);
    expect(parsePromText(TEXT).find((x) => x.name === 'spillway_consumer_lag_seconds')?.value).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('names the line that is not a sample', () => {
    expect(() => parsePromText('ok 1\n<html>oops</html>\n')).toThrow(
      'line 2 is not a Prometheus sample: "<html>oops</html>"',
    );
    expect(() => parsePromText('x{a=1} 2')).toThrow('line 1 has malformed labels: "a=1"');
    expect(() => parsePromText('x 12abc')).toThrow('line 1 has a value that is not a number: "12abc"');
  });
});

describe('computeFlow', () => {
  it('gives zero rates on the first scrape but the current sink state', () => {
    const f = computeFlow([scrape('sinks', 1_000, TEXT)], undefined, ['search', 'archive']);
    expect(f.sinceSec).toBeNull();
    expect(f.sinks.search).toMatchObject({ gutterInPerSec: 0, runtime: 'throttled', pausedPartitions: 0 });
    expect(f.sinks.archive!.runtime).toBeNull();
    // Only configured sinks get rows.
    expect(Object.keys(f.sinks)).toEqual(['search', 'archive']);
    expect(f.droppedPerSec).toEqual({ CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 0 });
  });

  it('turns counter growth between two scrapes into per-second rates, by criticality, reason and sink', () => {
    const later = TEXT.replace('criticality="SHEDDABLE"} 40', 'criticality="SHEDDABLE"} 90')
      .replace('direction="in"} 100', 'direction="in"} 300')
      .replace('sink="search"} 2', 'sink="search"} 12');
    const prev = [scrape('sinks', 1_000, TEXT)];
    const f = computeFlow([scrape('sinks', 6_000, later)], prev, ['search']);
    expect(f.sinceSec).toBe(5);
    expect(f.droppedPerSec).toEqual({ CRITICAL_PLUS: 0, CRITICAL: 0, SHEDDABLE_PLUS: 0, SHEDDABLE: 10 });
    expect(f.droppedByReasonPerSec).toEqual({ overload: 10, quota: 0 });
    expect(f.sinks.search).toMatchObject({ gutterInPerSec: 40, gutterOutPerSec: 0, deadLettersPerSec: 2 });
  });

  it('counts a restarted process (counter went down) from zero, and a down target as nothing', () => {
    const restarted = TEXT.replace('direction="in"} 100', 'direction="in"} 25');
    const f = computeFlow(
      [scrape('sinks', 6_000, restarted), scrape('router', 6_000, null, 'connect ECONNREFUSED')],
      [scrape('sinks', 1_000, TEXT), scrape('router', 1_000, TEXT)],
      ['search'],
    );
    expect(f.sinks.search!.gutterInPerSec).toBe(5);
    expect(f.targets).toEqual([
      { name: 'sinks', url: 'http://127.0.0.1:1/sinks', up: true },
      { name: 'router', url: 'http://127.0.0.1:1/router', up: false, error: 'connect ECONNREFUSED' },
    ]);
  });

  it('takes the worst state of several processes of one sink', () => {
    const open = TEXT.replace('state="open"} 0', 'state="open"} 1').replace(
      'state="throttled"} 1',
      'state="throttled"} 0',
    );
    const f = computeFlow([scrape('a', 1, TEXT), scrape('b', 1, open)], undefined, ['search']);
    expect(f.sinks.search!.runtime).toBe('open');
  });
});

describe('dashboardState', () => {
  const flow = computeFlow([scrape('s', 1, TEXT)], undefined, ['search']).sinks.search!;
  it('shows what the sink says about itself before what its lag says', () => {
    expect(dashboardState('lagging', flow)).toBe('throttled');
    expect(dashboardState('stalled', { ...flow, runtime: 'open' })).toBe('paused');
    expect(dashboardState('healthy', { ...flow, runtime: 'healthy', pausedPartitions: 2 })).toBe('paused');
    expect(dashboardState('gutter-draining', { ...flow, runtime: 'healthy' })).toBe('gutter-draining');
    expect(dashboardState('stalled', undefined)).toBe('stalled');
  });
});

describe('computeFlow: agent inputs', () => {
  // agent-a: "app-json" refuses every line (no accepted series at all), "kube" accepts most.
  const AGENT_A_1 = `# TYPE spillway_input_rejected_total counter
spillway_input_rejected_total{component="agent",input="app-json",reason="invalid-json"} 6012
spillway_input_rejected_total{component="agent",input="app-json",reason="too-long"} 2
spillway_input_records_total{component="agent",input="kube"} 500
spillway_input_rejected_total{component="agent",input="kube",reason="bad-container-log"} 3
spillway_records_dropped_total{component="agent",reason="quota",criticality="SHEDDABLE"} 1
`;
  // 5 s later: 25 more invalid JSON lines, 400 more accepted, and a reason not seen before.
  const AGENT_A_2 = AGENT_A_1.replace('reason="invalid-json"} 6012', 'reason="invalid-json"} 6037')
    .replace('input="kube"} 500', 'input="kube"} 900')
    .concat('spillway_input_rejected_total{component="agent",input="kube",reason="no-log-id"} 5\n');
  // agent-b: "syslog-0" refuses some lines, "app-json" (same input name, other agent) none.
  const AGENT_B_1 = `spillway_input_records_total{component="agent",input="syslog-0"} 40
spillway_input_rejected_total{component="agent",input="syslog-0",reason="bad-syslog"} 7
spillway_input_records_total{component="agent",input="app-json"} 10
`;
  // Restarted in between: its counters went down and count from 0.
  const AGENT_B_2 = `spillway_input_records_total{component="agent",input="syslog-0"} 4
spillway_input_rejected_total{component="agent",input="syslog-0",reason="bad-syslog"} 2
spillway_input_records_total{component="agent",input="app-json"} 12
`;
  // The router reports no input counters; a down agent reports nothing.
  const at = (atMs: number, a: string, b: string) => [
    scrape('router', atMs, TEXT),
    scrape('agent-b', atMs, b),
    scrape('agent-a', atMs, a),
    scrape('agent-c', atMs, null, 'connect ECONNREFUSED'),
  ];

  it('gives one row per target and input with the current totals, sorted, and no rate on the first scrape', () => {
    const f = computeFlow(at(1_000, AGENT_A_1, AGENT_B_1), undefined, ['search']);
    expect(f.inputs).toEqual([
      {
        target: 'agent-a',
        input: 'app-json',
        accepted: 0,
        rejected: 6014,
        rejectedPerSec: null,
        byReason: { 'invalid-json': 6012, 'too-long': 2 },
      },
      {
        target: 'agent-a',
        input: 'kube',
        accepted: 500,
        rejected: 3,
        rejectedPerSec: null,
        byReason: { 'bad-container-log': 3 },
      },
      { target: 'agent-b', input: 'app-json', accepted: 10, rejected: 0, rejectedPerSec: null, byReason: {} },
      {
        target: 'agent-b',
        input: 'syslog-0',
        accepted: 40,
        rejected: 7,
        rejectedPerSec: null,
        byReason: { 'bad-syslog': 7 },
      },
    ]);
  });

  it('rates refused lines between two scrapes: a new reason counts from 0, a restarted agent from 0', () => {
    const f = computeFlow(at(6_000, AGENT_A_2, AGENT_B_2), at(1_000, AGENT_A_1, AGENT_B_1), ['search']);
    expect(f.inputs).toEqual([
      {
        target: 'agent-a',
        input: 'app-json',
        accepted: 0,
        rejected: 6039,
        rejectedPerSec: 5,
        byReason: { 'invalid-json': 6037, 'too-long': 2 },
      },
      {
        target: 'agent-a',
        input: 'kube',
        accepted: 900,
        rejected: 8,
        rejectedPerSec: 1,
        byReason: { 'bad-container-log': 3, 'no-log-id': 5 },
      },
      { target: 'agent-b', input: 'app-json', accepted: 12, rejected: 0, rejectedPerSec: 0, byReason: {} },
      {
        target: 'agent-b',
        input: 'syslog-0',
        accepted: 4,
        rejected: 2,
        rejectedPerSec: 0.4,
        byReason: { 'bad-syslog': 2 },
      },
    ]);
    // The agents' own shedding still counts with the router's.
    expect(f.droppedByReasonPerSec).toEqual({ overload: 0, quota: 0 });
  });

  it('has no rate for a target whose previous scrape failed, and no rows without input counters', () => {
    const prev = [scrape('agent-a', 1_000, null, 'timeout')];
    const f = computeFlow([scrape('agent-a', 6_000, AGENT_A_2)], prev, []);
    expect(f.inputs.map((i) => [i.input, i.rejected, i.rejectedPerSec])).toEqual([
      ['app-json', 6039, null],
      ['kube', 8, null],
    ]);
    expect(computeFlow([scrape('router', 1, TEXT)], undefined, ['search']).inputs).toEqual([]);
  });
});
