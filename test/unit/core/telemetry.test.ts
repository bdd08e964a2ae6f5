import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRICS, renderMetricsDoc, Telemetry } from '../../../core/telemetry.ts';

describe('telemetry', () => {
  it('docs/metrics.md lists every metric as core/telemetry.ts defines it (run `npm run docs`)', () => {
    expect(readFileSync('docs/metrics.md', 'utf8')).toBe(renderMetricsDoc());
  });

  it('every metric is spillway_-prefixed and labelled by component', () => {
    for (const [name, spec] of Object.entries(METRICS)) {
      expect(name).toMatch(/^spillway_[a-z_]+$/);
      expect(spec.labels[0]).toBe('component');
    }
  });

  it('counts with exact labels and exposes Prometheus text', async () => {
    const t = new Telemetry('router');
    t.inc('spillway_records_dropped_total', { reason: 'quota', criticality: 'SHEDDABLE' }, 3);
    t.inc('spillway_records_dropped_total', { reason: 'quota', criticality: 'SHEDDABLE' });
    t.inc('spillway_records_dropped_total', { reason: 'overload', criticality: 'CRITICAL' }, 0);
    t.set('spillway_inflight_requests', 7);
    expect(await t.value('spillway_records_dropped_total', { reason: 'quota', criticality: 'SHEDDABLE' })).toBe(4);
    expect(await t.value('spillway_records_dropped_total', { reason: 'overload', criticality: 'CRITICAL' })).toBe(0);
    const text = (await t.expose()).body;
    expect(text).toContain(
      'spillway_records_dropped_total{component="router",reason="quota",criticality="SHEDDABLE"} 4',
    );
    expect(text).toContain('spillway_inflight_requests{component="router"} 7');
  });

  it('value() sums the series that carry the given labels, as sum(metric{labels}) would', async () => {
    const t = new Telemetry('sink');
    t.inc('spillway_records_delivered_total', { sink: 'search', importance: 'A', level_class: 'error' }, 3);
    t.inc('spillway_records_delivered_total', { sink: 'search', importance: 'A', level_class: 'info' }, 40);
    t.inc('spillway_records_delivered_total', { sink: 'search', importance: 'C', level_class: 'info' }, 500);
    t.inc('spillway_records_delivered_total', { sink: 'archive', importance: 'A', level_class: 'info' }, 7000);
    expect(await t.value('spillway_records_delivered_total', { sink: 'search' })).toBe(543);
    expect(await t.value('spillway_records_delivered_total', { sink: 'search', importance: 'A' })).toBe(43);
    expect(await t.value('spillway_records_delivered_total', { level_class: 'info' })).toBe(7540);
    expect(await t.value('spillway_records_delivered_total', { sink: 'none' })).toBe(0);
  });

  it('keeps components apart: two instances do not share a registry', async () => {
    const a = new Telemetry('router');
    const b = new Telemetry('router');
    a.inc('spillway_records_fallback_total');
    expect(await a.value('spillway_records_fallback_total')).toBe(1);
    expect(await b.value('spillway_records_fallback_total')).toBe(0);
  });
});
