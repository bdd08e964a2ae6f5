/**
 * `spillway lag` output: one row per sink (logId "*", the sink's totals) followed by one row
 * per logId it receives; a logId on a shared (hashed) topic is marked "(shared)" because
 * its lag is the whole topic's (monitor/lag.ts). Then a second table: each sink's lag and
 * throughput per level class and per importance, so "INFO is 4 minutes behind, ERROR is
 * current" reads at a glance. Then, when an agent input scraped through monitor.scrape has
 * refused lines, a third table "Rejected input lines": per target and input, the lines
 * refused (total and per second), accepted, and the reasons.
 */
import type { LagReport } from './lag.ts';
import { byCodePoint, type InputFlow } from './scrape.ts';

const HEADER = ['SINK', 'LOGID', 'LAG RECORDS', 'LAG SECONDS', 'STATE'] as const;
/** Numeric columns are right-aligned. */
const RIGHT = new Set([2, 3]);

function fmtSeconds(s: number | null): string {
  return s === null ? '-' : s >= 100 ? s.toFixed(0) : s.toFixed(1);
}

export function lagRows(report: LagReport): string[][] {
  const rows: string[][] = [];
  for (const s of report.sinks) {
    // An unreadable cluster's share of the lag is not known: "?" rather than a number too low.
    rows.push([s.sink, '*', s.errors.length > 0 ? '?' : String(s.lagRecords), fmtSeconds(s.lagSeconds), s.state]);
    for (const l of report.logIds.filter((x) => x.sink === s.sink)) {
      rows.push([
        s.sink,
        l.shared ? `${l.logId} (shared)` : l.logId,
        report.clusters[l.cluster] === 'ok' ? String(l.lagRecords) : '?',
        fmtSeconds(l.lagSeconds),
        l.breached && l.state === 'healthy' ? 'lagging' : l.state,
      ]);
    }
  }
  return rows;
}

const TIER_HEADER = ['SINK', 'TIER', 'LAG RECORDS', 'LAG SECONDS', 'RECORDS/S'] as const;
const TIER_RIGHT = new Set([2, 3, 4]);

export function tierRows(report: LagReport): string[][] {
  return report.tiers.map((t) => [
    t.sink,
    `${t.by === 'level_class' ? 'level' : 'importance'} ${t.tier}`,
    String(t.lagRecords),
    fmtSeconds(t.lagSeconds),
    t.throughputPerSec === null ? '-' : t.throughputPerSec.toFixed(1),
  ]);
}

const INPUT_HEADER = ['TARGET', 'INPUT', 'REJECTED', 'REJECTED/S', 'ACCEPTED', 'REASONS'] as const;
const INPUT_RIGHT = new Set([2, 3, 4]);

/** "invalid-json 6037, too-long 2": the reasons with lines, most lines first. */
export function reasonsText(byReason: InputFlow['byReason']): string {
  return Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || byCodePoint(a, b))
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
}

/** The inputs that refused lines (flow.inputs with rejected > 0), in the report's order. */
export function rejectedInputRows(report: LagReport): string[][] {
  return (report.flow?.inputs ?? [])
    .filter((i) => i.rejected > 0)
    .map((i) => [
      i.target,
      i.input,
      String(i.rejected),
      i.rejectedPerSec === null ? '-' : i.rejectedPerSec.toFixed(1),
      String(i.accepted),
      reasonsText(i.byReason),
    ]);
}

/** Aligned text lines, header first, columns separated by two spaces. */
function aligned(header: readonly string[], body: string[][], right: ReadonlySet<number>): string[] {
  const rows = [[...header], ...body];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * The tables (per sink and logId, per tier, then the agent inputs that refused lines, if
 * any), then the clusters that could not be read.
 */
export function renderLagTable(report: LagReport): string {
  const lines = aligned(HEADER, lagRows(report), RIGHT);
  const tiers = tierRows(report);
  if (tiers.length > 0) lines.push('', ...aligned(TIER_HEADER, tiers, TIER_RIGHT));
  const rejected = rejectedInputRows(report);
  if (rejected.length > 0) lines.push('', 'Rejected input lines', ...aligned(INPUT_HEADER, rejected, INPUT_RIGHT));
  const down = Object.entries(report.clusters).filter(([, st]) => st !== 'ok');
  for (const [c, err] of down) lines.push(`cluster "${c}" unreadable: ${err}`);
  return `${lines.join('\n')}\n`;
}
