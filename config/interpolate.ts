/**
 * Environment interpolation in config string values (never in keys):
 * - `${NAME}` is the value of NAME; unset is an error naming the variable and the path
 *   (set-but-empty is used as the empty string, as in a shell).
 * - `${NAME:-default}` is NAME's value, or `default` when NAME is unset or empty.
 * - `$${` is a literal `${` (so `$${NAME}` stays `${NAME}`).
 * - When a whole value is one placeholder and the result looks like a number or
 *   true/false, it becomes that number or boolean, so `port: ${ROUTER_PORT}` works.
 * Every problem is collected; the caller throws them together.
 */
import { type ConfigIssue, formatPath, makeIssue } from './issues.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface InterpolationResult {
  value: unknown;
  /** Unset variables, one issue each. */
  missing: ConfigIssue[];
  /** Malformed placeholders. */
  malformed: ConfigIssue[];
}

const TOKEN = /\$\$\{|\$\{([^}]*)\}/g;
const PLACEHOLDER = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const WHOLE = /^\$\{[^}]*\}$/;
const NUMBER = /^-?\d+(\.\d+)?$/;

export function interpolate(value: unknown, env: Env): InterpolationResult {
  const missing: ConfigIssue[] = [];
  const malformed: ConfigIssue[] = [];

  const visitString = (text: string, path: PropertyKey[]): unknown => {
    if (!text.includes('${')) return text;
    const out = text.replace(TOKEN, (match, inner: string | undefined) => {
      if (match === '$${') return '${';
      const m = PLACEHOLDER.exec(inner ?? '');
      if (m === null) {
        malformed.push(
          makeIssue(
            formatPath(path),
            '${NAME} or ${NAME:-default} with NAME made of letters, digits and "_"',
            JSON.stringify(match),
          ),
        );
        return match;
      }
      const name = m[1]!;
      const fallback = m[2];
      const v = env[name];
      if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
      if (v === undefined) {
        missing.push(makeIssue(formatPath(path), `environment variable ${name} to be set`, 'it unset'));
        return match;
      }
      return v;
    });
    if (WHOLE.test(text)) {
      if (NUMBER.test(out)) return Number(out);
      if (out === 'true') return true;
      if (out === 'false') return false;
    }
    return out;
  };

  const visit = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === 'string') return visitString(v, path);
    if (Array.isArray(v)) return v.map((item, i) => visit(item, [...path, i]));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = visit(item, [...path, k]);
      return out;
    }
    return v;
  };

  return { value: visit(value, []), missing, malformed };
}
