/**
 * Cross-field rules: what one field's schema cannot see. Each rule runs when the sections
 * it reads parsed cleanly, so one bad sink does not hide an unknown cluster in a pool.
 * Names (clusters, sinks, logIds) are read from the raw document so references can be
 * checked even when the named object has its own problems.
 */
import { overBudget, planPlacement } from '../router/placement-plan.ts';
import { LEVELS } from './common.ts';
import { type ConfigIssue, didYouMean, formatPath, makeIssue } from './issues.ts';
import type { ParsedConfig } from './schema.ts';

export type Sections = Partial<ParsedConfig>;

function rawArray(raw: unknown, key: string): unknown[] {
  const v = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
  return Array.isArray(v) ? v : [];
}

function rawObject(raw: unknown, key: string): Record<string, unknown> {
  const v = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)[key] : undefined;
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The string elements of a raw array, with their index. */
function strings(v: unknown): { index: number; name: string }[] {
  if (!Array.isArray(v)) return [];
  return v.flatMap((name, index) => (typeof name === 'string' ? [{ index, name }] : []));
}

/** The string `field` of each element of raw[key], with its index. */
function rawNames(raw: unknown, key: string, field: string): { index: number; name: string }[] {
  const out: { index: number; name: string }[] = [];
  rawArray(raw, key).forEach((item, index) => {
    const name = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[field] : undefined;
    if (typeof name === 'string') out.push({ index, name });
  });
  return out;
}

function uniqueNames(raw: unknown, key: string, field: string, what: string): ConfigIssue[] {
  const seen = new Map<string, number>();
  const issues: ConfigIssue[] = [];
  for (const { index, name } of rawNames(raw, key, field)) {
    const first = seen.get(name);
    if (first === undefined) seen.set(name, index);
    else {
      issues.push(
        makeIssue(
          `${key}[${index}].${field}`,
          `a unique ${what}`,
          `${JSON.stringify(name)}, already used by ${key}[${first}]`,
        ),
      );
    }
  }
  return issues;
}

/** A name that must be defined elsewhere; when nothing is defined there, that section's own problem is the one to report. */
function reference(path: string, name: string, defined: readonly string[], what: string, where: string): ConfigIssue[] {
  if (defined.length === 0 || defined.includes(name)) return [];
  return [
    makeIssue(
      path,
      `${what} defined in ${where} (${defined.join(', ')})`,
      JSON.stringify(name),
      didYouMean(name, defined),
    ),
  ];
}

function levelCoverage(path: string, classes: Readonly<Record<string, readonly string[]>>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const level of LEVELS) {
    const holders = Object.entries(classes)
      .filter(([, levels]) => levels.includes(level))
      .map(([name]) => name);
    if (holders.length === 0) {
      issues.push(
        makeIssue(
          path,
          'every level (trace, debug, info, warn, error, fatal) in exactly one class',
          `"${level}" in no class`,
        ),
      );
    } else if (holders.length > 1) {
      issues.push(
        makeIssue(
          path,
          'every level (trace, debug, info, warn, error, fatal) in exactly one class',
          `"${level}" in ${holders.length} classes (${holders.join(', ')})`,
        ),
      );
    }
  }
  return issues;
}

function unresolvedSecrets(value: unknown, path: PropertyKey[], out: ConfigIssue[]): void {
  if (typeof value === 'string') {
    const last = path[path.length - 1];
    if ((last === 'password' || last === 'apiKey' || last === 'token') && value.includes('${')) {
      out.push(
        makeIssue(
          formatPath(path),
          'a resolved secret',
          'a value containing a literal "${" (written as $${); set the secret through ${NAME} instead',
        ),
      );
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => {
      unresolvedSecrets(v, [...path, i], out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) unresolvedSecrets(v, [...path, k], out);
  }
}

/**
 * All cross-field problems. `complete` is true when the whole document parsed; the
 * partition budget (which needs the full placement plan) is only checked then, and only
 * when no other problem was found, since the plan of a broken config means little.
 */
export function crossFieldIssues(raw: unknown, s: Sections, complete: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const clusterNames = rawNames(raw, 'clusters', 'name').map((n) => n.name);
  const sinkNames = rawNames(raw, 'sinks', 'name').map((n) => n.name);
  const logIdNames = rawNames(raw, 'logIds', 'id').map((n) => n.name);

  issues.push(...uniqueNames(raw, 'clusters', 'name', 'cluster name'));
  issues.push(...uniqueNames(raw, 'sinks', 'name', 'sink name'));
  issues.push(...uniqueNames(raw, 'logIds', 'id', 'logId'));

  const pools = rawObject(raw, 'pools');
  for (const tier of ['S', 'A', 'B', 'C'] as const) {
    const seen = new Set<string>();
    strings(pools[tier]).forEach(({ index, name }) => {
      const path = `pools.${tier}[${index}]`;
      if (seen.has(name))
        issues.push(makeIssue(path, 'each cluster at most once per pool', `${JSON.stringify(name)} again`));
      seen.add(name);
      issues.push(...reference(path, name, clusterNames, 'a cluster', 'clusters'));
    });
  }
  if (typeof pools.gutter === 'string')
    issues.push(...reference('pools.gutter', pools.gutter, clusterNames, 'a cluster', 'clusters'));

  if (s.channels !== undefined) issues.push(...levelCoverage('channels.levelClasses', s.channels.levelClasses));

  rawArray(raw, 'logIds').forEach((l, i) => {
    const sinks = typeof l === 'object' && l !== null ? (l as Record<string, unknown>).sinks : undefined;
    for (const { index, name } of strings(sinks)) {
      issues.push(...reference(`logIds[${i}].sinks[${index}]`, name, sinkNames, 'a sink', 'sinks'));
    }
  });

  if (s.logIds !== undefined) {
    s.logIds.forEach((l, i) => {
      if (l.levelClasses !== undefined) issues.push(...levelCoverage(`logIds[${i}].levelClasses`, l.levelClasses));
    });
  }

  if (s.router !== undefined) {
    const r = s.router;
    if (rawArray(raw, 'logIds').length > 0 && !logIdNames.includes(r.fallbackLogId)) {
      issues.push(
        makeIssue(
          'router.fallbackLogId',
          'a logId defined in logIds (records with an unconfigured logId are placed as this logId)',
          `${JSON.stringify(r.fallbackLogId)}; add a logIds entry with id ${JSON.stringify(r.fallbackLogId)}`,
        ),
      );
    }
    if (r.produceTimeoutMs > r.requestTimeoutMs) {
      issues.push(
        makeIssue(
          'router.produceTimeoutMs',
          `at most router.requestTimeoutMs (${r.requestTimeoutMs}), since the produce runs inside the request's deadline`,
          String(r.produceTimeoutMs),
        ),
      );
    }
  }

  if (s.clusters !== undefined) {
    s.clusters.forEach((c, i) => {
      if (c.connectTimeoutMs > c.requestTimeoutMs) {
        issues.push(
          makeIssue(
            `clusters[${i}].connectTimeoutMs`,
            `at most clusters[${i}].requestTimeoutMs (${c.requestTimeoutMs})`,
            String(c.connectTimeoutMs),
          ),
        );
      }
    });
  }

  if (s.sinks !== undefined) {
    s.sinks.forEach((sink, i) => {
      if (sink.batch.lingerMs >= sink.requestTimeoutMs) {
        issues.push(
          makeIssue(
            `sinks[${i}].batch.lingerMs`,
            `less than sinks[${i}].requestTimeoutMs (${sink.requestTimeoutMs})`,
            String(sink.batch.lingerMs),
          ),
        );
      }
      if (sink.gutter.cluster !== undefined) {
        issues.push(
          ...reference(`sinks[${i}].gutter.cluster`, sink.gutter.cluster, clusterNames, 'a cluster', 'clusters'),
        );
      }
    });
  }

  if (s.agent !== undefined) {
    const u = s.agent.uplink;
    if (u.batch.lingerMs >= u.requestTimeoutMs) {
      issues.push(
        makeIssue(
          'agent.uplink.batch.lingerMs',
          `less than agent.uplink.requestTimeoutMs (${u.requestTimeoutMs})`,
          String(u.batch.lingerMs),
        ),
      );
    }
    if (u.connectTimeoutMs > u.requestTimeoutMs) {
      issues.push(
        makeIssue(
          'agent.uplink.connectTimeoutMs',
          `at most agent.uplink.requestTimeoutMs (${u.requestTimeoutMs})`,
          String(u.connectTimeoutMs),
        ),
      );
    }
    if (s.router !== undefined && u.batch.maxBytes > s.router.maxBodyBytes) {
      issues.push(
        makeIssue(
          'agent.uplink.batch.maxBytes',
          `at most router.maxBodyBytes (${s.router.maxBodyBytes}), or the router refuses the batch`,
          String(u.batch.maxBytes),
        ),
      );
    }
  }

  unresolvedSecrets(raw, [], issues);

  if (complete && issues.length === 0) {
    const config = s as ParsedConfig;
    const plan = planPlacement(config);
    for (const c of overBudget(plan)) {
      const index = config.clusters.findIndex((x) => x.name === c.name);
      issues.push(
        makeIssue(
          `clusters[${index}].partitionBudget`,
          `at least ${c.partitions} (the partitions the placement plan puts on cluster "${c.name}")`,
          `${c.budget}; raise the budget, or lower channels.hashBuckets / partitionsPerTopic, or add clusters to the pools`,
        ),
      );
    }
  }
  return issues;
}
