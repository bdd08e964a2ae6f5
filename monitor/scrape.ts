/**
 * What the components say about themselves: the monitor scrapes the Prometheus `/metrics`
 * of the router, agents and sinks listed in monitor.scrape, and turns two consecutive
 * scrapes into rates the dashboard charts next to lag (issue #6, "Dashboard"):
 *
 * - shedding by criticality: spillway_records_dropped_total per criticality and reason,
 *   summed over every target (router and agents both shed);
 * - gutter and dead-letter flow per sink: spillway_gutter_records_total (in / retry / out)
 *   and spillway_dead_letters_total;
 * - each sink's runtime state: spillway_sink_state (healthy, throttled, open) and
 *   spillway_sink_paused_partitions, which offsets alone cannot show;
 * - each agent input's accepted and refused lines: spillway_input_records_total and
 *   spillway_input_rejected_total (by reason), per scrape target and input, so a file whose
 *   every line is refused (not JSON, no logId, …) shows up instead of just going quiet.
 *
 * The parser and the arithmetic are pure; `Scraper` only adds the HTTP reads. A target
 * that cannot be read is reported down with the reason and contributes nothing, so one
 * dead sink process never blanks the others' charts.
 */

import { CRITICALITIES } from '../core/resilience/criticality.ts';
import { SINK_RUNTIME_STATES, type SinkRuntimeState } from '../sinks/runtime/sink-service.ts';

/** One sample line of the Prometheus text format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

/**
 * Parses Prometheus text exposition (version 0.0.4). Comments and blank lines are skipped;
 * a line that is not a sample throws with its line number, since a target serving garbage
 * should show as down with the reason, not as zeros.
 */
export function parsePromText(text: string): PromSample[] {
  const out: PromSample[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`line ${i + 1} is not a Prometheus sample: ${JSON.stringify(line.slice(0, 80))}`);
    const labels: Record<string, string> = {};
    if (m[2]) {
      LABEL.lastIndex = 0;
      let consumed = 0;
      for (let l = LABEL.exec(m[2]); l; l = LABEL.exec(m[2])) {
        labels[l[1]!] = unescapeLabel(l[2]!);
        consumed = LABEL.lastIndex;
      }
      if (consumed !== m[2].length)
        throw new Error(`line ${i + 1} has malformed labels: ${JSON.stringify(m[2].slice(0, 80))}`);
    }
    const value = parseValue(m[3]!);
    if (Number.isNaN(value) && m[3] !== 'NaN')
      throw new Error(`line ${i + 1} has a value that is not a number: ${JSON.stringify(m[3])}`);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** What one scrape of one target yielded. */
export interface TargetScrape {
  name: string;
  url: string;
  atMs: number;
  /** null when the target could not be read. */
  samples: PromSample[] | null;
  error?: string;
}

export interface SinkFlow {
  gutterInPerSec: number;
  gutterRetryPerSec: number;
  gutterOutPerSec: number;
  deadLettersPerSec: number;
  /** From spillway_sink_state; null when no scraped target reports this sink. */
  runtime: SinkRuntimeState | null;
  pausedPartitions: number;
  inflightRecords: number;
}

/** One agent input of one scrape target: its line counters since the agent started. */
export interface InputFlow {
  /** The scrape target's name (monitor.scrape[].name). */
  target: string;
  /** The input label (agent.inputs[].name, default '<type>-<position>'). */
  input: string;
  /** spillway_input_records_total: lines parsed and accepted. */
  accepted: number;
  /** spillway_input_rejected_total over every reason: lines refused. */
  rejected: number;
  /** Lines refused per second between the last two scrapes; null on the target's first (readable) scrape. */
  rejectedPerSec: number | null;
  /** Lines refused by reason (invalid-json, no-log-id, too-long, …), totals. */
  byReason: Record<string, number>;
}

export interface FlowReport {
  atMs: number;
  /** Seconds between the two scrapes the rates come from; null on the first scrape. */
  sinceSec: number | null;
  targets: { name: string; url: string; up: boolean; error?: string }[];
  /** Records/s dropped by criticality (all reasons), summed over the targets. */
  droppedPerSec: Record<string, number>;
  /** Records/s dropped by reason, summed over the targets. */
  droppedByReasonPerSec: Record<string, number>;
  sinks: Record<string, SinkFlow>;
  /**
   * One row per (target, input) that reports spillway_input_records_total or
   * spillway_input_rejected_total in this scrape, sorted by target then input. A target
   * that is down has no rows.
   */
  inputs: InputFlow[];
}

const DROPPED = 'spillway_records_dropped_total';
const GUTTER = 'spillway_gutter_records_total';
const DEAD = 'spillway_dead_letters_total';
const INPUT_RECORDS = 'spillway_input_records_total';
const INPUT_REJECTED = 'spillway_input_rejected_total';

/** Code-point order, independent of the locale. */
export const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Counter growth between two scrapes; a restarted process (counter went down) counts from 0. */
function growth(cur: number, prev: number): number {
  return cur >= prev ? cur - prev : cur;
}

function seriesKey(s: PromSample): string {
  return `${s.name}{${Object.entries(s.labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',')}}`;
}

function emptyFlow(): SinkFlow {
  return {
    gutterInPerSec: 0,
    gutterRetryPerSec: 0,
    gutterOutPerSec: 0,
    deadLettersPerSec: 0,
    runtime: null,
    pausedPartitions: 0,
    inflightRecords: 0,
  };
}

/**
 * Rates between two scrapes of the same targets, and the current gauges. Only `sinks`
 * (the configured sink names) get rows, so a stray label never grows the report.
 */
export function computeFlow(
  cur: TargetScrape[],
  prev: TargetScrape[] | undefined,
  sinks: readonly string[],
): FlowReport {
  const atMs = Math.max(0, ...cur.map((t) => t.atMs));
  const prevByName = new Map((prev ?? []).map((t) => [t.name, t]));
  const report: FlowReport = {
    atMs,
    sinceSec: null,
    targets: cur.map((t) => ({
      name: t.name,
      url: t.url,
      up: t.samples !== null,
      ...(t.error === undefined ? {} : { error: t.error }),
    })),
    droppedPerSec: {},
    droppedByReasonPerSec: {},
    sinks: Object.fromEntries(sinks.map((s) => [s, emptyFlow()])),
    inputs: [],
  };
  const add = (rec: Record<string, number>, key: string, v: number) => {
    rec[key] = (rec[key] ?? 0) + v;
  };
  // Every criticality gets a rate once a target answers, so "nothing shed" reads as 0, not as a gap.
  if (cur.some((t) => t.samples !== null)) for (const c of CRITICALITIES) report.droppedPerSec[c] = 0;
  let since: number | null = null;
  for (const t of cur) {
    if (!t.samples) continue;
    const p = prevByName.get(t.name);
    const dt = p?.samples ? (t.atMs - p.atMs) / 1000 : null;
    if (dt !== null && dt > 0) since = since === null ? dt : Math.max(since, dt);
    const before = new Map((p?.samples ?? []).map((s) => [seriesKey(s), s.value]));
    const rate = (s: PromSample) =>
      dt === null || dt <= 0 || !before.size ? 0 : growth(s.value, before.get(seriesKey(s)) ?? 0) / dt;
    const inputs = new Map<string, InputFlow>();
    const inputOf = (s: PromSample): InputFlow => {
      const input = s.labels.input ?? 'unknown';
      let f = inputs.get(input);
      if (!f) {
        f = {
          target: t.name,
          input,
          accepted: 0,
          rejected: 0,
          rejectedPerSec: dt === null || dt <= 0 ? null : 0,
          byReason: {},
        };
        inputs.set(input, f);
      }
      return f;
    };
    for (const s of t.samples) {
      if (s.name === INPUT_RECORDS) {
        inputOf(s).accepted += s.value;
        continue;
      }
      if (s.name === INPUT_REJECTED) {
        const f = inputOf(s);
        f.rejected += s.value;
        add(f.byReason, s.labels.reason ?? 'unknown', s.value);
        if (f.rejectedPerSec !== null) f.rejectedPerSec += rate(s);
        continue;
      }
      if (s.name === DROPPED) {
        const r = rate(s);
        add(report.droppedPerSec, s.labels.criticality ?? 'unknown', r);
        add(report.droppedByReasonPerSec, s.labels.reason ?? 'unknown', r);
        continue;
      }
      const flow = s.labels.sink === undefined ? undefined : report.sinks[s.labels.sink];
      if (!flow) continue;
      if (s.name === GUTTER) {
        const r = rate(s);
        if (s.labels.direction === 'in') flow.gutterInPerSec += r;
        else if (s.labels.direction === 'retry') flow.gutterRetryPerSec += r;
        else if (s.labels.direction === 'out') flow.gutterOutPerSec += r;
      } else if (s.name === DEAD) {
        flow.deadLettersPerSec += rate(s);
      } else if (s.name === 'spillway_sink_state' && s.value === 1) {
        const st = s.labels.state as SinkRuntimeState;
        // Several workers or processes of one sink: the worst state wins.
        const rank = SINK_RUNTIME_STATES.indexOf(st);
        if (rank >= 0 && (flow.runtime === null || rank > SINK_RUNTIME_STATES.indexOf(flow.runtime))) flow.runtime = st;
      } else if (s.name === 'spillway_sink_paused_partitions') {
        flow.pausedPartitions += s.value;
      } else if (s.name === 'spillway_sink_inflight_records') {
        flow.inflightRecords += s.value;
      }
    }
    for (const f of inputs.values()) {
      f.byReason = Object.fromEntries(Object.entries(f.byReason).sort(([a], [b]) => byCodePoint(a, b)));
      report.inputs.push(f);
    }
  }
  report.inputs.sort((a, b) => byCodePoint(a.target, b.target) || byCodePoint(a.input, b.input));
  report.sinceSec = since;
  return report;
}

/** Dashboard state of a sink: what the sink says about itself first, then what its lag says. */
export type DashboardState = 'healthy' | 'throttled' | 'paused' | 'gutter-draining' | 'lagging' | 'stalled' | 'unknown';

export function dashboardState(lagState: string, flow: SinkFlow | undefined): DashboardState {
  if (flow?.runtime === 'open' || (flow?.pausedPartitions ?? 0) > 0) return 'paused';
  if (flow?.runtime === 'throttled') return 'throttled';
  return lagState as DashboardState;
}

export interface ScrapeTarget {
  name: string;
  url: string;
}

/** Reads every target's /metrics, each bounded by `timeoutMs`, all in parallel. */
export async function scrapeTargets(
  targets: readonly ScrapeTarget[],
  timeoutMs: number,
  now: () => number = Date.now,
): Promise<TargetScrape[]> {
  return Promise.all(
    targets.map(async (t): Promise<TargetScrape> => {
      try {
        const res = await fetch(t.url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) throw new Error(`HTTP ${res.status} from ${t.url}`);
        const samples = parsePromText(await res.text());
        return { name: t.name, url: t.url, atMs: now(), samples };
      } catch (err) {
        const e = err as Error;
        const error = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message;
        return { name: t.name, url: t.url, atMs: now(), samples: null, error };
      }
    }),
  );
}
