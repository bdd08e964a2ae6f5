/**
 * Readers for the deployment files (docker-compose.yml, Dockerfile, .dockerignore) and the
 * small rules the deploy tests apply to them. No Docker engine runs here, so these tests
 * check what can be checked from the files themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { interpolate } from '../../../config/interpolate.ts';

export const ROOT = path.resolve(import.meta.dirname, '../../..');

export function readRepoFile(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

export interface ComposeHealthcheck {
  test?: string | string[];
  disable?: boolean;
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  restart?: string;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: ComposeHealthcheck;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Parses compose YAML with merge keys (`<<:`), as Docker Compose does; throws on any YAML error. */
export function parseCompose(text: string): ComposeFile {
  const doc = YAML.parseDocument(text, { merge: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`docker-compose.yml: ${doc.errors.map((e) => e.message).join('; ')}`);
  return doc.toJS() as ComposeFile;
}

/**
 * An image reference pinned to one exact release: `name:MAJOR.MINOR.PATCH[-variant]`, or a
 * digest. `latest`, no tag, and floating tags (`24`, `24-slim`, `9.2`) are not pinned.
 */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const m = /^(?:[^/]+\/)*[^/:]+:([^/:]+)$/.exec(image);
  return m !== null && /^v?\d+\.\d+\.\d+(?:-[A-Za-z0-9.]+)?$/.test(m[1]!);
}

/** The tag of an image reference ('' without one). */
export function tagOf(image: string): string {
  const m = /:([^/:]+)$/.exec(image);
  return m ? m[1]! : '';
}

/** Compose-style `${NAME:-default}` in environment values, resolved against `env` (the shell's, empty here). */
export function resolveEnv(
  environment: ComposeService['environment'],
  env: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(environment ?? {})) {
    const r = interpolate(String(v), env);
    if (r.missing.length > 0 || r.malformed.length > 0) throw new Error(`environment ${k}: cannot resolve ${v}`);
    out[k] = String(r.value);
  }
  return out;
}

/** Container ports a service publishes ("127.0.0.1:7070:7070" -> 7070). */
export function publishedContainerPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((p) => Number(String(p).split(':').at(-1)!.split('/')[0]));
}

/** The URL a healthcheck's `node -e "fetch('...')"` probes, if any. */
export function healthcheckUrl(service: ComposeService): URL | undefined {
  const test = service.healthcheck?.test;
  const text = Array.isArray(test) ? test.join(' ') : (test ?? '');
  const m = /fetch\('([^']+)'\)/.exec(text) ?? /curl [^']*'?(https?:\/\/[^\s'>]+)/.exec(text);
  return m ? new URL(m[1]!) : undefined;
}

/** `--name value` pairs of a command line. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Named volumes mounted by a service: target path -> volume name (bind mounts excluded). */
export function namedMounts(service: ComposeService): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of service.volumes ?? []) {
    const [source, target] = String(v).split(':');
    if (source && target && !source.startsWith('.') && !source.startsWith('/')) out.set(target, source);
  }
  return out;
}

/** Bind mounts of a service: target path -> host path. */
export function bindMounts(service: ComposeService): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of service.volumes ?? []) {
    const [source, target] = String(v).split(':');
    if (source && target && (source.startsWith('.') || source.startsWith('/'))) out.set(target, source);
  }
  return out;
}

export interface DockerInstruction {
  /** Upper-case instruction name. */
  op: string;
  args: string;
  /** Index of the build stage (FROM) it belongs to. */
  stage: number;
}

/** Dockerfile instructions, continuation lines joined, comments and parser directives dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let pending = '';
  let stage = -1;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue; // a comment inside a continued instruction
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/s.exec(full)!;
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!.replace(/\s+/g, ' ').trim(), stage });
  }
  return out;
}

/** The JSON (exec) form of ENTRYPOINT/CMD, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}

/** Bare module specifiers imported at run time by a source file (type-only imports excluded). */
export function runtimeImports(source: string): string[] {
  const out = new Set<string>();
  const stmt = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  const dynamic = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const re of [stmt, dynamic]) {
    for (const m of source.matchAll(re)) if (!m[1]!.startsWith('.')) out.add(m[1]!);
  }
  return [...out];
}

/** The package name of a bare specifier ('@a/b/c' -> '@a/b', 'x/y' -> 'x'). */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Files under `dir` (relative to the repo) for which `keep` is true, skipping node_modules. */
export function listFiles(dir: string, keep: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === 'node_modules' || e.name === '.git') continue;
      if (e.isDirectory()) walk(child);
      else if (keep(child)) out.push(child);
    }
  };
  walk(dir);
  return out;
}

/**
 * Whether .dockerignore keeps `rel` out of the build context. Supports the forms the file
 * uses: a path or directory name anchored at the root, `**` for any depth, `*` in one segment.
 */
export function dockerIgnored(patterns: readonly string[], rel: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    const re = new RegExp(
      `^${p
        .split('/')
        .map((seg) =>
          seg === '**'
            ? '.*'
            : seg
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?')}(?:/.*)?$`,
    );
    if (re.test(rel)) ignored = !negate;
  }
  return ignored;
}

export function dockerignorePatterns(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
