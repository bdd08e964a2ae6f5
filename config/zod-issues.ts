/**
 * zod issue -> ConfigIssue. Custom messages in the schemas start with "expected " and are
 * used as the expected text; zod's own messages are rewritten into the same shape.
 */
import type { z } from 'zod';
import { type ConfigIssue, describeValue, formatPath, isSecretPath, makeIssue, unknownKeyIssue } from './issues.ts';

/** The few zod-internal definition fields we walk (stable in zod 4's `_zod.def`). */
interface Def {
  type: string;
  innerType?: unknown;
  in?: unknown;
  shape?: Record<string, unknown>;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
  discriminator?: string;
  values?: unknown[];
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: unknown): unknown {
  let s = schema;
  for (let def = defOf(s); def !== undefined; def = defOf(s)) {
    if (WRAPPERS.has(def.type)) s = def.innerType;
    else if (def.type === 'pipe') s = def.in;
    else break;
  }
  return s;
}

function literalValues(schema: unknown): unknown[] {
  const def = defOf(unwrap(schema));
  return def?.type === 'literal' || def?.type === 'enum'
    ? (def.values ?? Object.values((def as { entries?: object }).entries ?? {}))
    : [];
}

/** For a discriminated union, the option matching `value[discriminator]`. */
function pickOption(def: Def, value: unknown): unknown {
  if (def.discriminator === undefined || typeof value !== 'object' || value === null) return undefined;
  const tag = (value as Record<string, unknown>)[def.discriminator];
  return def.options?.find((o) => literalValues(defOf(unwrap(o))?.shape?.[def.discriminator!]).includes(tag));
}

function child(schema: unknown, key: PropertyKey, value: unknown): unknown {
  let s = unwrap(schema);
  let def = defOf(s);
  if (def?.type === 'union') {
    s = unwrap(pickOption(def, value));
    def = defOf(s);
  }
  if (def === undefined) return undefined;
  if (def.type === 'object' && typeof key === 'string') return def.shape?.[key];
  if (def.type === 'array') return def.element;
  if (def.type === 'record') return def.valueType;
  return undefined;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** The keys the object schema at `path` allows (resolving discriminated unions by the data). */
export function allowedKeysAt(root: z.ZodType, data: unknown, path: readonly PropertyKey[]): string[] {
  let schema: unknown = root;
  let value: unknown = data;
  for (const seg of path) {
    schema = child(schema, seg, value);
    value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[seg] : undefined;
  }
  let s = unwrap(schema);
  const def = defOf(s);
  if (def?.type === 'union') s = unwrap(pickOption(def, value));
  return Object.keys(defOf(s)?.shape ?? {});
}

function custom(message: string): string | undefined {
  return message.startsWith('expected ') ? message.slice('expected '.length) : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function bound(origin: string, limit: number | bigint, inclusive: boolean, direction: 'min' | 'max'): string {
  const n = Number(limit);
  if (origin === 'array' || origin === 'set') {
    return direction === 'min' ? `at least ${plural(n, 'item')}` : `at most ${plural(n, 'item')}`;
  }
  if (origin === 'string') {
    return direction === 'min' ? `at least ${plural(n, 'character')}` : `at most ${plural(n, 'character')}`;
  }
  if (direction === 'min') return inclusive ? `at least ${n}` : `more than ${n}`;
  return inclusive ? `at most ${n}` : `less than ${n}`;
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  if (type === 'array') return 'a list';
  if (type === 'object') return 'an object';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Convert one zod issue (parsed with `reportInput: true`) to operator-facing issues. */
export function fromZodIssue(issue: z.core.$ZodIssue, root: z.ZodType, data: unknown): ConfigIssue[] {
  const path = issue.path as PropertyKey[];
  const secret = isSecretPath(path);
  const input = (issue as { input?: unknown }).input;
  const found = describeValue(input, secret);
  const own = custom(issue.message);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(root, data, path);
      return issue.keys.map((k) => unknownKeyIssue(path, k, allowed));
    }
    case 'invalid_type': {
      const exp = own ?? article(issue.expected);
      if (input === undefined) return [makeIssue(formatPath(path), exp, 'nothing (the key is required)')];
      if (issue.expected === 'int' && typeof input === 'number') return [makeIssue(formatPath(path), exp, found)];
      return [makeIssue(formatPath(path), exp, found)];
    }
    case 'too_small':
      return [
        makeIssue(formatPath(path), own ?? bound(issue.origin, issue.minimum, issue.inclusive ?? true, 'min'), found),
      ];
    case 'too_big':
      return [
        makeIssue(formatPath(path), own ?? bound(issue.origin, issue.maximum, issue.inclusive ?? true, 'max'), found),
      ];
    case 'invalid_value':
      return [
        makeIssue(
          formatPath(path),
          own ??
            (issue.values.length === 1
              ? JSON.stringify(issue.values[0])
              : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`),
          found,
        ),
      ];
    case 'invalid_format':
      return [
        makeIssue(
          formatPath(path),
          own ?? (issue.format === 'regex' ? `a string matching ${issue.pattern}` : `a valid ${issue.format}`),
          found,
        ),
      ];
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string; options?: unknown[] }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (disc !== undefined && options !== undefined) {
        const tag = valueAt(data, path);
        return [
          makeIssue(formatPath(path), `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`, describeValue(tag)),
        ];
      }
      return [makeIssue(formatPath(path), own ?? 'one of the allowed forms', found)];
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      const exp = inner === undefined ? undefined : custom(inner.message);
      return [makeIssue(formatPath(path), exp ?? 'a valid key', found)];
    }
    case 'not_multiple_of':
      return [makeIssue(formatPath(path), own ?? `a multiple of ${issue.divisor}`, found)];
    default:
      return [makeIssue(formatPath(path), own ?? issue.message, found)];
  }
}
