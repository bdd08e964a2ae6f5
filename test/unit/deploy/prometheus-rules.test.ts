/**
 * deploy/prometheus/alerts.yaml: promtool accepts it and its unit tests pass
 * (deploy/prometheus/alerts.test.yaml, run through scripts/promtool.sh, which fetches
 * promtool once when missing); every alert has a firing and a quiet case there; every rule
 * carries `for:`, a severity, a summary and description naming its grouping labels, and a
 * runbook_url whose anchor exists in docs/monitor.md; and every metric, label and
 * enumerated label value the rules read is one the components export.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { ROOT, readRepoFile } from './deploy-files.ts';
import { anchorOf, documentedMetrics, labelValueProblems, nameProblems, promqlRefs } from './promql-refs.ts';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleTest {
  name: string;
  alert_rule_test: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
}

const RULES = 'deploy/prometheus/alerts.yaml';
const TESTS = 'deploy/prometheus/alerts.test.yaml';
const rules = (YAML.parse(readRepoFile(RULES)) as { groups: { name: string; rules: AlertRule[] }[] }).groups.flatMap(
  (g) => g.rules,
);
const tests = (YAML.parse(readRepoFile(TESTS)) as { tests: RuleTest[] }).tests;

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await promisify(execFile)(path.join(ROOT, 'scripts/promtool.sh'), args, { cwd: ROOT });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const monitorDoc = readRepoFile('docs/monitor.md');
const anchors = new Set([...monitorDoc.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
const known = documentedMetrics();

describe('promtool', () => {
  it(`check rules ${RULES}: valid, every rule found`, async () => {
    const r = await promtool('check', 'rules', RULES);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.code).toBe(0);
  }, 120_000);

  it(`test rules ${TESTS}: every case passes`, async () => {
    const r = await promtool('test', 'rules', TESTS);
    expect(r.out).toMatch(/Unit Testing: {2}deploy\/prometheus\/alerts\.test\.yaml\n {2}SUCCESS/);
    expect(r.out).not.toContain('FAILED');
    expect(r.code).toBe(0);
  }, 120_000);
});

describe('alerts.yaml', () => {
  it('has the alerts issue #14 asks for, each name once', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([
      'SpillwayTargetDown',
      'SpillwayLogIdLagOverThreshold',
      'SpillwaySinkStalled',
      'SpillwayMonitorClusterUnreadable',
      'SpillwaySinkDestinationDown',
      'SpillwaySinkThrottled',
      'SpillwaySinkPartitionsPaused',
      'SpillwaySinkCriticalTierPaused',
      'SpillwayGutterGrowing',
      'SpillwayDeadLetters',
      'SpillwayCriticalRecordsShed',
      'SpillwayAgentSpooling',
      'SpillwayAgentSpoolDroppedBatches',
      'SpillwayAgentRecordsRefused',
      'SpillwayInputLinesRejected',
      'SpillwayConfigReloadFailed',
    ]);
  });

  it.each(rules.map((r) => [r.alert, r] as const))('%s: for, severity, annotations, runbook anchor', (_, rule) => {
    expect(rule.for).toMatch(/^\d+[smh]$/);
    expect(['warning', 'critical']).toContain(rule.labels?.severity);
    const a = rule.annotations ?? {};
    expect(Object.keys(a).sort()).toEqual(['description', 'runbook_url', 'summary']);
    expect(a.runbook_url).toBe(`docs/monitor.md#${rule.alert.toLowerCase()}`);
    expect(anchors).toContain(rule.alert.toLowerCase());
    // What the alert is about is named in its text, so a page says which sink / logId.
    const grouped = new Set(promqlRefs(rule.expr).groupingLabels);
    for (const label of ['sink', 'logid', 'criticality', 'input', 'result', 'reason', 'cluster']) {
      if (grouped.has(label) || (label === 'cluster' && rule.expr.startsWith('spillway_monitor_cluster_up')))
        expect(`${a.summary} ${a.description}`).toContain(`{{ $labels.${label} }}`);
    }
  });

  it('every alert fires in a test case and stays quiet in another', () => {
    const cases = tests.flatMap((t) => t.alert_rule_test);
    for (const r of rules) {
      const mine = cases.filter((c) => c.alertname === r.alert);
      expect(
        mine.some((c) => c.exp_alerts.length > 0),
        `${r.alert} fires in no test case`,
      ).toBe(true);
      expect(
        mine.some((c) => c.exp_alerts.length === 0),
        `${r.alert} has no quiet case`,
      ).toBe(true);
    }
    expect(new Set(cases.map((c) => c.alertname))).toEqual(new Set(rules.map((r) => r.alert)));
  });

  it('reads only metrics and labels docs/metrics.md documents', () => {
    for (const r of rules) expect(nameProblems(r.expr, known), r.alert).toEqual([]);
    const used = new Set(rules.flatMap((r) => promqlRefs(r.expr).selectors.map((s) => s.metric)));
    // The alerts cover what the issue lists.
    for (const m of [
      'up',
      'spillway_lag_threshold_breached',
      'spillway_sink_state',
      'spillway_sink_paused_partitions',
      'spillway_sink_tier_paused',
      'spillway_gutter_lag_records',
      'spillway_dead_letters_total',
      'spillway_dead_letter_records',
      'spillway_records_dropped_total',
      'spillway_spool_bytes',
      'spillway_spool_dropped_batches_total',
      'spillway_input_rejected_total',
      'spillway_config_last_reload_successful',
    ])
      expect(used).toContain(m);
  });

  it('matches only label values the components emit (criticality, state, component, result)', () => {
    for (const r of rules) expect(labelValueProblems(r.expr), r.alert).toEqual([]);
    // And the check itself bites.
    expect(labelValueProblems('spillway_records_dropped_total{criticality=~"CRITICAL|CRITICAL_PLUSS"}')).toEqual([
      'spillway_records_dropped_total{criticality} never takes "CRITICAL_PLUSS"',
    ]);
  });
});
