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
