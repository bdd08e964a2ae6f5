/** Secrets never leave the process: a copy of a config with every secret replaced by `***`. */
import { isSecretPath } from './issues.ts';

export const REDACTED = '***';

/** Deep copy of `value` with passwords, API keys, tokens and HTTP header values replaced by `***`. */
export function redact<T>(value: T, path: PropertyKey[] = []): T {
  if (Array.isArray(value)) return value.map((v, i) => redact(v, [...path, i])) as T;
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        typeof v !== 'object' && v !== undefined && isSecretPath([...path, k]) ? REDACTED : redact(v, [...path, k]);
    }
    return out as T;
  }
  return value;
}
