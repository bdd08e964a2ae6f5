/**
 * Load a config file once at start-up: read, parse (YAML or JSON), interpolate `${NAME}`,
 * validate every field and every cross-field rule, apply defaults, deep-freeze. Every
 * problem is reported at once in one SpillwayError.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import YAML from 'yaml';
import { SpillwayError } from '../core/errors.ts';
import { type Env, interpolate } from './interpolate.ts';
import { type ConfigIssue, issuesMessage } from './issues.ts';
import { crossFieldIssues, type Sections } from './rules.ts';
import { type ConfigSection, configSchema, configShape, type ParsedConfig, type SpillwayConfig } from './schema.ts';
import { fromZodIssue } from './zod-issues.ts';

export type { SpillwayConfig } from './schema.ts';

export interface LoadOptions {
  /** Variables for `${NAME}`; defaults to process.env. */
  env?: Env;
}

export type ConfigFormat = 'yaml' | 'json';

export function formatOf(file: string): ConfigFormat {
  const ext = extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new SpillwayError(
    'SPW_ERR_CONFIG_READ',
    `${file}: expected a .yaml, .yml or .json file, found "${ext || 'no extension'}"`,
    {
      context: { path: file },
    },
  );
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** Parse YAML or JSON text; syntax errors name `file:line:col`. */
export function parseText(text: string, format: ConfigFormat, file: string): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (err) {
      const msg = (err as Error).message;
      // V8 gives a position for some errors only; the YAML parser (JSON is YAML 1.2) locates the rest.
      const pos = /position (\d+)/.exec(msg);
      const offset = pos ? Number(pos[1]) : (YAML.parseDocument(text).errors[0]?.pos[0] ?? 0);
      const { line, col } = lineCol(text, offset);
      const reason = msg.replace(/ in JSON at position.*$/, '').replace(/, (\.\.\.)?".*" is not valid JSON$/s, '');
      throw new SpillwayError('SPW_ERR_CONFIG_READ', `${file}:${line}:${col}: invalid JSON: ${reason}`, {
        cause: err,
        context: { path: file, line, col },
      });
    }
  }
  const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const p = lineCol(text, e.pos[0]);
      return `${file}:${p.line}:${p.col}: invalid YAML: ${e.message.split('\n')[0]}`;
    });
    const first = lineCol(text, doc.errors[0]!.pos[0]);
    throw new SpillwayError('SPW_ERR_CONFIG_READ', lines.join('\n'), {
      cause: doc.errors[0],
      context: { path: file, line: first.line, col: first.col },
    });
  }
  return doc.toJS({ maxAliasCount: 1000 }) ?? {};
}

/** Freeze an object graph in place and return it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function fail(source: string, issues: ConfigIssue[]): never {
  throw new SpillwayError('SPW_ERR_CONFIG_INVALID', issuesMessage(source, issues), {
    context: {
      path: source,
      issues: issues.map(({ path, expected, found, message }) => ({ path, expected, found, message })),
    },
  });
}

/**
 * Validate an already-parsed document. `source` names it in the error message.
 * @throws SpillwayError SPW_ERR_CONFIG_ENV_MISSING (unset variables), SPW_ERR_CONFIG_INVALID (everything else)
 */
export function validateConfig(document: unknown, source = 'config', options: LoadOptions = {}): SpillwayConfig {
  const { value: raw, missing, malformed } = interpolate(document, options.env ?? process.env);
  if (missing.length > 0) {
    const issues = [...missing, ...malformed];
    throw new SpillwayError('SPW_ERR_CONFIG_ENV_MISSING', issuesMessage(source, issues), {
      context: {
        path: source,
        issues: issues.map(({ path, expected, found, message }) => ({ path, expected, found, message })),
      },
    });
  }
  const result = configSchema.safeParse(raw, { reportInput: true });
  const issues: ConfigIssue[] = [...malformed];
  let sections: Sections;
  if (result.success) {
    sections = result.data;
  } else {
    for (const issue of result.error.issues) issues.push(...fromZodIssue(issue, configSchema, raw));
    sections = {};
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const failed = new Set(result.error.issues.map((i) => i.path[0]));
      for (const key of Object.keys(configShape) as ConfigSection[]) {
        if (failed.has(key)) continue;
        const part = configShape[key].safeParse((raw as Record<string, unknown>)[key]);
        if (part.success) (sections as Record<string, unknown>)[key] = part.data;
      }
    }
  }
  issues.push(...crossFieldIssues(raw, sections, result.success && malformed.length === 0));
  if (issues.length > 0) fail(source, issues);
  return deepFreeze(result.data as ParsedConfig);
}

/** Parse and validate config text (YAML or JSON). */
export function parseConfig(
  text: string,
  options: LoadOptions & { file?: string; format?: ConfigFormat } = {},
): SpillwayConfig {
  const file = options.file ?? 'config';
  const format = options.format ?? (options.file !== undefined ? formatOf(options.file) : 'yaml');
  return validateConfig(parseText(text, format, file), file, options);
}

/** Read, parse and validate a config file. */
export async function loadConfig(file: string, options: LoadOptions = {}): Promise<SpillwayConfig> {
  const format = formatOf(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SpillwayError('SPW_ERR_CONFIG_READ', `${file}: cannot read the config file: ${(err as Error).message}`, {
      cause: err,
      context: { path: file },
    });
  }
  return parseConfig(text, { ...options, file, format });
}
