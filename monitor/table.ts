/**
 * `spillway lag` output: one row per sink (logId "*", the sink's totals) followed by one row
 * per logId it receives; a logId on a shared (hashed) topic is marked "(shared)" because
 * its lag is the whole topic's (monitor/lag.ts).
 */
import type { LagReport } from './lag.ts';

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

/** An aligned text table, header first, columns separated by two spaces. */
export function renderLagTable(report: LagReport): string {
  const rows = [[...HEADER], ...lagRows(report)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (RIGHT.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const down = Object.entries(report.clusters).filter(([, st]) => st !== 'ok');
  for (const [c, err] of down) lines.push(`cluster "${c}" unreadable: ${err}`);
  return `${lines.join('\n')}\n`;
}
