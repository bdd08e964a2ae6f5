/** The PromQL name reader the alert and dashboard tests rely on: what it must find, and miss. */
import { describe, expect, it } from 'vitest';
import { documentedMetrics, nameProblems, promqlRefs } from './promql-refs.ts';

describe('promqlRefs', () => {
  it.each([
    {
      expr: 'up{job=~"spillway-.+"} == 0',
      selectors: [{ metric: 'up', matchers: [{ label: 'job', op: '=~', value: 'spillway-.+' }] }],
      grouping: [],
    },
    {
      expr: 'sum by (sink, direction) (rate(spillway_gutter_records_total{sink=~"$sink"}[$__rate_interval]))',
      selectors: [{ metric: 'spillway_gutter_records_total', matchers: [{ label: 'sink', op: '=~', value: '$sink' }] }],
      grouping: ['sink', 'direction'],
    },
    {
      expr: `(max by (sink) (deriv(spillway_gutter_lag_records[15m])) > 0)
        and on (sink) (max(spillway_gutter_lag_records) without (component) > 0) unless foo offset 5m`,
      selectors: [
        { metric: 'spillway_gutter_lag_records', matchers: [] },
        { metric: 'spillway_gutter_lag_records', matchers: [] },
        { metric: 'foo', matchers: [] },
      ],
      grouping: ['sink', 'sink', 'component'],
    },
    {
      expr: `count_over_time(x{a!="1",b!~'2'}[10m]) < on (job, instance) group_left sum_over_time(up[10m]) * 1e3`,
      selectors: [
        {
          metric: 'x',
          matchers: [
            { label: 'a', op: '!=', value: '1' },
            { label: 'b', op: '!~', value: '2' },
          ],
        },
        { metric: 'up', matchers: [] },
      ],
      grouping: ['job', 'instance'],
    },
    {
      expr: '{__name__="y", c="3"} / ignoring (c) group_right (d) z',
      selectors: [
        {
          metric: 'y',
          matchers: [
            { label: '__name__', op: '=', value: 'y' },
            { label: 'c', op: '=', value: '3' },
          ],
        },
        { metric: 'z', matchers: [] },
      ],
      grouping: ['c', 'd'],
    },
  ])('$expr', ({ expr, selectors, grouping }) => {
    const r = promqlRefs(expr);
    expect(r.selectors).toEqual(selectors);
    expect(r.groupingLabels).toEqual(grouping);
  });

  it('throws on what it cannot read instead of finding nothing', () => {
    expect(() => promqlRefs('rate(x[5m]) $oops')).toThrow(/cannot read PromQL at 12/);
    expect(() => promqlRefs('x{a=}')).toThrow(/bad label matcher/);
  });
});

describe('nameProblems', () => {
  const known = documentedMetrics();

  it('reads the documented metrics and their labels from docs/metrics.md', () => {
    expect(known.get('spillway_logid_lag_seconds')).toEqual(['component', 'sink', 'logid']);
    expect(known.get('spillway_records_dropped_total')).toEqual(['component', 'reason', 'criticality']);
    expect(known.size).toBeGreaterThan(30);
  });

  it('names unknown metrics, labels a metric lacks and grouping labels no metric has', () => {
    expect(nameProblems('sum by (sink, job) (rate(spillway_dead_letters_total{sink="a"}[5m]))', known)).toEqual([]);
    expect(nameProblems('spillway_nope_total', known)).toEqual(['unknown metric spillway_nope_total']);
    expect(nameProblems('spillway_spool_bytes{sink="a"}', known)).toEqual(['spillway_spool_bytes has no label sink']);
    expect(nameProblems('sum by (logid) (spillway_spool_bytes)', known)).toEqual([
      'no metric of the expression has label logid',
    ]);
  });
});
