/**
 * Config problems as operators read them: `<path>: expected <expected>, found <actual>`,
 * one per line, every problem at once. Turns zod issues into that shape, suggests the
 * nearest allowed key for an unknown one, and never prints a secret.
 */
import { SECRET_KEYS } from './common.ts';

export interface ConfigIssue {
  /** Like `sinks[1].batch.lingerMs`; empty for the document root. */
  path: string;
  expected: string;
  found: string;
  /** The full line printed to the operator. */
  message: string;
}

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['sinks', 1, 'batch', 'lingerMs']` -> `sinks[1].batch.lingerMs`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENTIFIER.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/** True when the value at `path` is a secret (password, apiKey, token, an HTTP header value). */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  const last = path[path.length - 1];
  if (typeof last === 'string' && SECRET_KEYS.has(last)) return true;
  return path.length >= 2 && path[path.length - 2] === 'headers';
}

/** A short, operator-readable rendering of a found value. */
export function describeValue(value: unknown, secret = false): string {
  if (value === undefined) return 'nothing';
  if (secret) return '***';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value))
    return value.length === 0 ? 'an empty list' : `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') return 'an object';
  return typeof value;
}

export function makeIssue(path: string, expected: string, found: string, suffix = ''): ConfigIssue {
  const where = path === '' ? '(root)' : path;
  return { path, expected, found, message: `${where}: expected ${expected}, found ${found}${suffix}` };
}

/**
 * Levenshtein edit distance (insert, delete, substitute each cost 1), extended with
 * adjacent transpositions (optimal string alignment), since "mian" for "main" is the
 * most common typo.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      cur[j] = d;
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The allowed name closest to `name`, or undefined when nothing is close: a case-only
 * difference always matches; otherwise the distance must be at most a third of the
 * longer name (min 1, max 3), so `lingerMS` finds `lingerMs` but `colour` finds nothing.
 */
export function suggest(name: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of allowed) {
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0 : levenshtein(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(Math.max(name.length, best.length) / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMean(name: string, allowed: readonly string[]): string {
  const s = suggest(name, allowed);
  return s === undefined ? '' : `; did you mean "${s}"?`;
}

export function unknownKeyIssue(
  parentPath: readonly PropertyKey[],
  key: string,
  allowed: readonly string[],
): ConfigIssue {
  const path = formatPath([...parentPath, key]);
  const hint = didYouMean(key, allowed);
  return {
    path,
    expected: `one of the keys ${allowed.join(', ')}`,
    found: JSON.stringify(key),
    message: `${path}: unknown key${hint}`,
  };
}

/** Render a list of issues as the multi-line message of SPW_ERR_CONFIG_INVALID. */
export function issuesMessage(source: string, issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return [`${source}: ${count}`, ...issues.map((i) => i.message)].join('\n');
}
