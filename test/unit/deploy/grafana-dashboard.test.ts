/**
 * deploy/grafana/spillway.json: a Grafana dashboard that imports (valid JSON, schema 39, a
 * data-source variable every panel and query uses, sink and logId variables), lays out
 * (unique ids, panels inside the 24-column grid, none overlapping), and queries what exists:
 * every expression is valid PromQL (promtool checks them as recording rules), reads only
 * documented metrics and labels, matches only label values the components emit, and each
 * legend names only labels its query keeps.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT, readRepoFile } from './deploy-files.ts';
import {
  asPromql,
  documentedMetrics,
  labelValueProblems,
  nameProblems,
  promqlRefs,
  RELOAD_COUNTER,
} from './promql-refs.ts';

interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: GridPos;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: unknown;
  datasource?: { type: string; uid: string };
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: Variable[] };
  panels: Panel[];
}

const FILE = 'deploy/grafana/spillway.json';
const dash = JSON.parse(readRepoFile(FILE)) as Dashboard;
const DS = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
const panels = dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = panels.filter((p) => p.type !== 'row');
const targets = queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
const known = documentedMetrics();
const variable = (name: string) => dash.templating.list.find((v) => v.name === name);

/** `label_values(selector, label)` of a query variable, read as a selector and a label. */
function labelValuesQuery(v: Variable): { selector: string; label: string } {
  const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$/.exec(String(v.query));
  if (!m) throw new Error(`variable ${v.name}: expected label_values(metric, label), found ${String(v.query)}`);
  return { selector: m[1]!, label: m[2]! };
}

describe(FILE, () => {
  it('is an importable dashboard: title, uid, schema 39, the data-source, sink and logId variables', () => {
    expect(dash.title).toBe('Spillway');
    expect(dash.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dash.schemaVersion).toBe(39);
    expect(variable('DS_PROMETHEUS')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const name of ['sink', 'logid']) {
      const v = variable(name)!;
      expect(v, name).toMatchObject({ type: 'query', datasource: DS, multi: true, includeAll: true, allValue: '.*' });
    }
    expect(labelValuesQuery(variable('sink')!)).toEqual({ selector: 'spillway_lag_state', label: 'sink' });
    expect(labelValuesQuery(variable('logid')!)).toEqual({
      selector: 'spillway_logid_lag_records{sink=~"$sink"}',
      label: 'logid',
    });
    for (const v of dash.templating.list.filter((x) => x.type === 'query')) {
      const { selector, label } = labelValuesQuery(v);
      expect(nameProblems(`sum by (${label}) (${asPromql(selector)})`, known), v.name).toEqual([]);
    }
  });

  it('lays out: unique ids, inside the 24-column grid, no two panels overlapping', () => {
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      const g = p.gridPos;
      expect([g.x, g.y, g.w, g.h].every(Number.isInteger), p.title).toBe(true);
      expect(g.x >= 0 && g.y >= 0 && g.w >= 1 && g.h >= 1 && g.x + g.w <= 24, p.title).toBe(true);
      if (p.type === 'row') expect(g, p.title).toMatchObject({ x: 0, w: 24, h: 1 });
    }
    const overlap = (a: GridPos, b: GridPos) =>
      a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
    for (const [i, a] of panels.entries())
      for (const b of panels.slice(i + 1))
        expect(overlap(a.gridPos, b.gridPos), `${a.title} overlaps ${b.title}`).toBe(false);
  });

  it('every panel and query uses the data-source variable; every query has an expr and a unique refId', () => {
    expect(queryPanels.length).toBeGreaterThan(15);
    for (const p of queryPanels) {
      expect(p.datasource, p.title).toEqual(DS);
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
      for (const t of p.targets!) {
        expect(t.datasource, p.title).toEqual(DS);
        expect(t.expr.trim().length, p.title).toBeGreaterThan(0);
      }
    }
  });

  it('queries only documented metrics and labels, and label values the components emit', () => {
    for (const t of targets) {
      expect(nameProblems(asPromql(t.expr), known), `${t.panel}: ${t.expr}`).toEqual([]);
      expect(labelValueProblems(t.expr), `${t.panel}: ${t.expr}`).toEqual([]);
      // Only the dashboard's own variables and Grafana's rate interval.
      for (const v of t.expr.match(/\$\{?\w+\}?/g) ?? [])
        expect(['$sink', '$logid', '$__rate_interval'], t.panel).toContain(v);
    }
  });

  it('each legend names only labels its query keeps (a dropped label shows as blank)', () => {
    for (const t of targets) {
      const kept = promqlRefs(t.expr).groupingLabels;
      for (const [, label] of (t.legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g))
        expect(kept, `${t.panel}: legend {{${label}}}`).toContain(label);
    }
  });

  it('shows what issue #14 asks for', () => {
    const used = new Set(targets.flatMap((t) => promqlRefs(t.expr).selectors.map((s) => s.metric)));
    for (const m of [
      'spillway_consumer_lag_records',
      'spillway_consumer_lag_seconds',
      'spillway_logid_lag_records',
      'spillway_logid_lag_seconds',
      'spillway_tier_lag_records',
      'spillway_tier_lag_seconds',
      'spillway_records_delivered_total',
      'spillway_records_sent_total',
      'spillway_records_received_total',
      'spillway_gutter_records_total',
      'spillway_gutter_lag_records',
      'spillway_dead_letters_total',
      'spillway_dead_letter_records',
      'spillway_records_dropped_total',
      'spillway_spool_bytes',
      'spillway_spool_dropped_batches_total',
      'spillway_input_rejected_total',
      RELOAD_COUNTER,
    ])
      expect(used, m).toContain(m);
    const dropped = targets.filter((t) => t.expr.includes('spillway_records_dropped_total'));
    expect(dropped.map((t) => promqlRefs(t.expr).groupingLabels)).toEqual(
      expect.arrayContaining([['criticality'], ['component', 'reason']]),
    );
  });

  it('every query is valid PromQL (promtool check rules, as recording rules)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-grafana-'));
    try {
      const file = path.join(dir, 'dashboard-queries.yaml');
      const rules = [
        ...targets.map((t) => t.expr),
        ...dash.templating.list
          .filter((v) => v.type === 'query')
          .map((v) => `group by (${labelValuesQuery(v).label}) (${labelValuesQuery(v).selector})`),
      ].map((expr, i) => ({ record: `spillway_dashboard:q${i}`, expr: asPromql(expr) }));
      fs.writeFileSync(file, YAML.stringify({ groups: [{ name: 'dashboard', rules }] }));
      const r = await promisify(execFile)(path.join(ROOT, 'scripts/promtool.sh'), ['check', 'rules', file], {
        cwd: ROOT,
      }).catch((err: { stdout?: string; stderr?: string }) => ({
        stdout: `${err.stdout ?? ''}${err.stderr ?? ''}`,
        stderr: '',
      }));
      expect(r.stdout + r.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
