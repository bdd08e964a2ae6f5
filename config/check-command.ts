/**
 * `spillway config check FILE... [--json]`: validate each file and print its placement
 * plan (aligned tables, or JSON with --json). Exit status 0 when every file is valid,
 * otherwise the error's exit code (2 for config problems), after checking every file.
 * Secrets never appear: the plan carries none, and the --json config is redacted.
 */
import { isSpillwayError } from '../core/errors.ts';
import { type PlacementPlan, planPlacement } from '../router/placement-plan.ts';
import { loadConfig } from './load.ts';
import { redact } from './redact.ts';

/** Left-aligned columns separated by two spaces; numeric columns right-aligned. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly number[] = [],
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: readonly string[]) =>
    r
      .map((cell, i) => (numeric.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

/** 259200000 -> "3d", 5400000 -> "90m". */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** The plan as aligned plain text. */
export function renderPlan(plan: PlacementPlan): string[] {
  const lines: string[] = [];
  for (const c of plan.clusters) {
    const pct = c.budget === 0 ? 0 : (100 * c.partitions) / c.budget;
    lines.push(`cluster ${c.name}`);
    lines.push(`  budget used: ${c.partitions} / ${c.budget} (${pct.toFixed(1)}%)`);
    if (c.topics.length === 0) lines.push('  (no topics)');
    else {
      const rows = c.topics.map((t) => [
        t.name,
        t.kind,
        String(t.partitions),
        formatDuration(t.retentionMs),
        String(t.logIds.length),
      ]);
      for (const l of table(['topic', 'kind', 'partitions', 'retention', 'logIds'], rows, [2, 4])) lines.push(`  ${l}`);
    }
    lines.push('');
  }
  for (const s of plan.sinks) {
    lines.push(`sink ${s.name} (${s.type})`);
    const rows = [
      ...s.consumes.map((r) => [r.cluster, r.topic, 'consume']),
      ...s.gutter.map((r) => [r.cluster, r.topic, 'gutter']),
      ...s.deadLetter.map((r) => [r.cluster, r.topic, 'dead-letter']),
    ];
    if (s.consumes.length === 0) lines.push('  (no logId uses this sink)');
    for (const l of table(['cluster', 'topic', 'role'], rows)) lines.push(`  ${l}`);
    lines.push('');
  }
  return lines;
}

export async function configCheckCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  const write = (text: string) => out.write(text.endsWith('\n') ? text : `${text}\n`);
  if (files.length === 0) {
    write('config check: expected at least one config file, found none; usage: spillway config check FILE... [--json]');
    return 2;
  }
  let status = 0;
  const reports: unknown[] = [];
  for (const file of files) {
    try {
      const config = await loadConfig(file);
      const plan = planPlacement(config);
      if (json) reports.push({ file, ok: true, plan, config: redact(config) });
      else write([`${file}: ok`, '', ...renderPlan(plan)].join('\n'));
    } catch (err) {
      if (!isSpillwayError(err)) throw err;
      status = Math.max(status, err.exitCode);
      if (json)
        reports.push({ file, ok: false, code: err.code, message: err.message, issues: err.context.issues ?? [] });
      else write(err.message);
    }
  }
  if (json) write(JSON.stringify(files.length === 1 ? reports[0] : reports, null, 2));
  return status;
}
