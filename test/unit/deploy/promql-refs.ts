/**
 * What a PromQL expression reads: its metric selectors (name and label matchers) and the
 * labels its `by` / `without` / `on` / `ignoring` / `group_left` / `group_right` clauses
 * name. Enough of PromQL for the alert rules and the Grafana dashboard (deploy/), whose
 * metric and label names the tests check against docs/metrics.md and against real scrapes.
 * Syntax errors are promtool's business (the rules test runs it on every expression); this
 * only has to find the names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RELOAD_RESULTS } from '../../../config/reload.ts';
import { CRITICALITIES } from '../../../core/resilience/criticality.ts';
import { SINK_STATES } from '../../../monitor/metrics.ts';
import { SINK_RUNTIME_STATES } from '../../../sinks/runtime/sink-service.ts';

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export interface Selector {
  /** The metric name; undefined for a bare `{...}` selector without `__name__="..."`. */
  metric: string | undefined;
  matchers: Matcher[];
}

export interface PromqlRefs {
  selectors: Selector[];
  /** Labels named in by / without / on / ignoring / group_left / group_right clauses. */
  groupingLabels: string[];
}

/** Words that are operators or modifiers, never metric names. */
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** Aggregation operators: `sum by (x) (...)` puts the clause between the name and its '('. */
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);

type Token = { kind: 'ident' | 'string' | 'number' | 'op' | 'punct'; text: string };

const TOKEN =
  /\s+|#[^\n]*|(?<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)|(?<range>\[[^\]]*\])|(?<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)|(?<number>(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(?:[a-zA-Z]+\d*)*)|(?<op>=~|!~|!=|==|>=|<=|[=<>+\-*/%^@])|(?<punct>[(){},])/gy;

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (!m) throw new Error(`cannot read PromQL at ${at}: ${JSON.stringify(expr.slice(at, at + 30))}`);
    const g = m.groups!;
    // Ranges and subquery steps ([5m], [$__rate_interval], [1h:1m]) name nothing.
    if (g.string !== undefined) out.push({ kind: 'string', text: g.string });
    else if (g.ident !== undefined) out.push({ kind: 'ident', text: g.ident });
    else if (g.number !== undefined) out.push({ kind: 'number', text: g.number });
    else if (g.op !== undefined) out.push({ kind: 'op', text: g.op });
    else if (g.punct !== undefined) out.push({ kind: 'punct', text: g.punct });
  }
  return out;
}

function unquote(s: string): string {
  if (s.startsWith('`')) return s.slice(1, -1);
  return s.slice(1, -1).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

export function promqlRefs(expr: string): PromqlRefs {
  const t = tokenize(expr);
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  const next = (i: number) => t[i + 1]?.text;

  /** Reads `{a="x", b=~"y"}` from t[i] = '{'; returns the index after '}'. */
  const readMatchers = (i: number, matchers: Matcher[]): number => {
    let j = i + 1;
    while (t[j] && t[j]!.text !== '}') {
      const [label, op, value] = [t[j], t[j + 1], t[j + 2]];
      if (label?.kind !== 'ident' || op?.kind !== 'op' || value?.kind !== 'string')
        throw new Error(`bad label matcher in ${JSON.stringify(expr)} near token ${j}`);
      matchers.push({ label: label.text, op: op.text as Matcher['op'], value: unquote(value.text) });
      j += 3;
      if (t[j]?.text === ',') j++;
    }
    if (!t[j]) throw new Error(`unclosed { in ${JSON.stringify(expr)}`);
    return j + 1;
  };

  for (let i = 0; i < t.length; ) {
    const tok = t[i]!;
    if (tok.kind === 'ident' && GROUPING.has(tok.text)) {
      i++;
      if (t[i]?.text !== '(') continue; // group_left without a label list
      for (i++; t[i] && t[i]!.text !== ')'; i++) if (t[i]!.kind === 'ident') groupingLabels.push(t[i]!.text);
      i++;
    } else if (tok.kind === 'ident' && KEYWORDS.has(tok.text)) {
      // `offset 5m`: the duration is a number token and is skipped as any number is.
      i++;
    } else if (tok.kind === 'ident' && (next(i) === '(' || AGGREGATIONS.has(tok.text))) {
      i++; // a function or an aggregation
    } else if (tok.kind === 'ident') {
      const sel: Selector = { metric: tok.text, matchers: [] };
      i = next(i) === '{' ? readMatchers(i + 1, sel.matchers) : i + 1;
      selectors.push(sel);
    } else if (tok.text === '{') {
      const sel: Selector = { metric: undefined, matchers: [] };
      i = readMatchers(i, sel.matchers);
      const name = sel.matchers.find((m) => m.label === '__name__' && m.op === '=');
      if (name) sel.metric = name.value;
      selectors.push(sel);
    } else {
      i++;
    }
  }
  return { selectors, groupingLabels };
}

/** The metric names an expression reads. */
export function metricsOf(expr: string): string[] {
  return [...new Set(promqlRefs(expr).selectors.map((s) => s.metric ?? '(no name)'))].sort();
}

export const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Labels Prometheus attaches to every scraped series itself (the scrape config's target labels). */
export const TARGET_LABELS = ['job', 'instance'] as const;

/** The config-reload counter (config/reload.ts): its `result` label is RELOAD_RESULTS. */
export const RELOAD_COUNTER = 'spillway_config_reloads_total';

/** Metric name -> its labels, from the table in docs/metrics.md. */
export function documentedMetrics(): Map<string, string[]> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/metrics.md'), 'utf8');
  const out = new Map<string, string[]>();
  for (const m of doc.matchAll(/^\| `(spillway_[a-z0-9_]+)` \| \w+ \| ([^|]*) \|/gm)) {
    out.set(
      m[1]!,
      m[2]!
        .split(',')
        .map((l) => l.trim())
        .filter(Boolean),
    );
  }
  return out;
}

/**
 * Problems with the names an expression reads, against `known` (metric -> labels): an
 * unknown metric, a matcher on a label the metric does not have, a grouping label none of
 * the expression's metrics has. `up` and the target labels (job, instance) are always known.
 */
export function nameProblems(expr: string, known: ReadonlyMap<string, readonly string[]>): string[] {
  const labelsOf = (metric: string | undefined): readonly string[] | undefined => {
    if (metric === 'up') return [...TARGET_LABELS];
    const l = metric === undefined ? undefined : known.get(metric);
    return l && [...l, ...TARGET_LABELS];
  };
  const problems: string[] = [];
  const refs = promqlRefs(expr);
  for (const s of refs.selectors) {
    const labels = labelsOf(s.metric);
    if (!labels) {
      problems.push(`unknown metric ${s.metric ?? '(selector without a name)'}`);
      continue;
    }
    for (const m of s.matchers) if (!labels.includes(m.label)) problems.push(`${s.metric} has no label ${m.label}`);
  }
  const all = new Set(refs.selectors.flatMap((s) => labelsOf(s.metric) ?? []));
  for (const l of refs.groupingLabels) if (!all.has(l)) problems.push(`no metric of the expression has label ${l}`);
  return problems;
}

/** Every label value the components emit for the enumerated labels, per metric where it differs. */
function enumeratedValues(metric: string | undefined, label: string): readonly string[] | undefined {
  if (label === 'component') return ['router', 'agent', 'sink', 'monitor'];
  if (label === 'criticality') return [...CRITICALITIES, 'unknown'];
  if (label === 'state' && metric === 'spillway_sink_state') return SINK_RUNTIME_STATES;
  if (label === 'state' && metric === 'spillway_lag_state') return SINK_STATES;
  if (label === 'direction' && metric === 'spillway_gutter_records_total') return ['in', 'retry', 'out'];
  if (label === 'result' && metric === RELOAD_COUNTER) return RELOAD_RESULTS;
  return undefined;
}

/**
 * Matchers on an enumerated label (criticality, component, a state, a gutter direction, a
 * reload result) whose value, or any alternative of a `=~"a|b"` regex, the components never
 * emit: a typo there makes an alert or a panel silently empty.
 */
export function labelValueProblems(expr: string): string[] {
  const problems: string[] = [];
  for (const s of promqlRefs(expr).selectors) {
    for (const m of s.matchers) {
      const allowed = enumeratedValues(s.metric, m.label);
      if (!allowed || m.value.includes('$') || m.op.startsWith('!')) continue;
      const values = m.op === '=~' ? m.value.split('|') : [m.value];
      for (const v of values)
        if (!allowed.includes(v)) problems.push(`${s.metric}{${m.label}} never takes ${JSON.stringify(v)}`);
    }
  }
  return problems;
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** An expression with Grafana's variables replaced, as Prometheus would receive it. */
export function asPromql(expr: string): string {
  return expr.replaceAll('$__rate_interval', '5m').replace(/\$\{?(sink|logid)\}?/g, '.*');
}
