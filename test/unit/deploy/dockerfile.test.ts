/**
 * The Dockerfile, checked without Docker: pinned multi-stage Node 24 build, a non-root
 * user, `spillway` as entrypoint wired to package.json's bin, npm commands and scripts that
 * exist, COPY sources that exist, and runtime code that needs nothing `npm ci --omit=dev`
 * leaves out.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.ts';
import {
  type DockerInstruction,
  dockerIgnored,
  dockerignorePatterns,
  execForm,
  isPinned,
  listFiles,
  packageOf,
  parseDockerfile,
  ROOT,
  readRepoFile,
  runtimeImports,
  tagOf,
} from './deploy-files.ts';

interface PackageJson {
  name: string;
  engines: { node: string };
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  exports: Record<string, string>;
}
const pkg = JSON.parse(readRepoFile('package.json')) as PackageJson;
const steps = parseDockerfile(readRepoFile('Dockerfile'));
const ignore = dockerignorePatterns(readRepoFile('.dockerignore'));
const froms = steps.filter((s) => s.op === 'FROM');
const lastStage = froms.length - 1;
const final = steps.filter((s) => s.stage === lastStage);
const finalOf = (op: string): DockerInstruction[] => final.filter((s) => s.op === op);
/** Each RUN's commands, split on && ; and |. */
const runCommands = steps
  .filter((s) => s.op === 'RUN')
  .flatMap((s) => s.args.split(/&&|;|\|\|?/).map((c) => c.trim().split(/\s+/)));

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseDockerfile', () => {
  it('joins continuation lines, drops comments and numbers the stages', () => {
    expect(parseDockerfile('# c\nFROM a:1.2.3 AS x\nRUN a \\\n  # inner\n  && b\nFROM b:1.0.0\nUSER 1000\n')).toEqual([
      { op: 'FROM', args: 'a:1.2.3 AS x', stage: 0 },
      { op: 'RUN', args: 'a && b', stage: 0 },
      { op: 'FROM', args: 'b:1.0.0', stage: 1 },
      { op: 'USER', args: '1000', stage: 1 },
    ]);
  });
});

describe('Dockerfile', () => {
  it('builds in stages from one exactly pinned Node 24 slim image that satisfies package.json engines', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const images = froms.map((f) => f.args.split(' ')[0]!);
    for (const image of images) {
      expect(isPinned(image), image).toBe(true);
      expect(image, image).toMatch(/^node:24\.\d+\.\d+-slim$/);
    }
    const [major, minor] = tagOf(images.at(-1)!).split('.').map(Number) as [number, number];
    const [needMajor, needMinor] = /^>=(\d+)\.(\d+)/.exec(pkg.engines.node)!.slice(1).map(Number) as [number, number];
    expect(major > needMajor || (major === needMajor && minor >= needMinor), pkg.engines.node).toBe(true);
  });

  it('copies only from earlier named stages, and only files that exist', () => {
    const stageNames = froms.map((f) => / AS (\S+)$/i.exec(f.args)?.[1]);
    for (const copy of steps.filter((s) => s.op === 'COPY')) {
      const from = /--from=(\S+)/.exec(copy.args)?.[1];
      if (from !== undefined) {
        const i = stageNames.indexOf(from);
        expect(i, `COPY --from=${from}`).toBeGreaterThanOrEqual(0);
        expect(i, `COPY --from=${from} is an earlier stage`).toBeLessThan(copy.stage);
        continue;
      }
      const sources = copy.args
        .split(' ')
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1);
      for (const src of sources) {
        expect(fs.existsSync(path.join(ROOT, src)), `COPY ${src}`).toBe(true);
        if (src !== '.') expect(dockerIgnored(ignore, src), `${src} is in the build context`).toBe(false);
      }
    }
  });

  it('runs as an unprivileged user, set before the entrypoint and never switched back', () => {
    const users = finalOf('USER').map((u) => u.args);
    expect(users.length).toBeGreaterThan(0);
    for (const u of users) expect(['root', '0', '0:0', 'root:root'], `USER ${u}`).not.toContain(u);
    const lastUser = final.lastIndexOf(finalOf('USER').at(-1)!);
    const entrypoint = final.findIndex((s) => s.op === 'ENTRYPOINT');
    expect(lastUser).toBeLessThan(entrypoint);
    expect(final.slice(lastUser).filter((s) => s.op === 'RUN')).toEqual([]);
  });

  it("has `spillway` as entrypoint, linked to package.json's bin inside the app directory", () => {
    expect(execForm(finalOf('ENTRYPOINT').at(-1)!.args)).toEqual(['spillway']);
    const workdir = finalOf('WORKDIR').at(-1)!.args;
    // Node refuses to strip types under node_modules: the app must not live there.
    expect(workdir).not.toContain('node_modules');
    const link = runCommands.find((c) => c[0] === 'ln' && c.at(-1) === '/usr/local/bin/spillway');
    expect(link, 'ln -s ... /usr/local/bin/spillway').toBeDefined();
    expect(link!.at(-2)).toBe(path.posix.join(workdir, pkg.bin.spillway!));
    const bin = readRepoFile(pkg.bin.spillway!);
    expect(bin.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(fs.statSync(path.join(ROOT, pkg.bin.spillway!)).mode & 0o111, 'bin is executable').not.toBe(0);
  });

  it('has a default command the CLI accepts', async () => {
    const cmd = execForm(finalOf('CMD').at(-1)!.args)!;
    vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await main(cmd)).toBe(0);
  });

  it('installs with npm ci from the lockfile, without dev dependencies, and runs only scripts package.json has', () => {
    const npm = runCommands.filter((c) => c[0] === 'npm');
    expect(npm.length).toBeGreaterThan(0);
    const ci = npm.filter((c) => c[1] === 'ci');
    expect(ci).toHaveLength(1);
    expect(ci[0]).toContain('--omit=dev');
    expect(fs.existsSync(path.join(ROOT, 'package-lock.json'))).toBe(true);
    for (const c of npm) {
      expect(['ci', 'run', 'cache'], c.join(' ')).toContain(c[1]);
      if (c[1] === 'run') expect(Object.keys(pkg.scripts), c.join(' ')).toContain(c[2]);
    }
  });

  it('keeps the host node_modules and local state out of the build context, and the sources in', () => {
    for (const out of ['node_modules/pino/package.json', '.spillway/node/bin/node', '.git/HEAD', 'test/unit/x.ts']) {
      expect(dockerIgnored(ignore, out), out).toBe(true);
    }
    for (const kept of [
      'package.json',
      'package-lock.json',
      pkg.bin.spillway!,
      'cli/main.ts',
      'examples/compose.yaml',
      'monitor/dashboard/index.html',
    ]) {
      expect(dockerIgnored(ignore, kept), kept).toBe(false);
    }
  });

  it('ships the spillway/pino self-reference target', () => {
    const target = pkg.exports['./pino']!.replace(/^\.\//, '');
    expect(fs.existsSync(path.join(ROOT, target))).toBe(true);
    expect(dockerIgnored(ignore, target)).toBe(false);
  });

  it('ships code that imports only Node built-ins, itself, and production dependencies', () => {
    const shipped = listFiles(
      '',
      (rel) => /\.(ts|js|mjs)$/.test(rel) && !rel.endsWith('.d.ts') && !dockerIgnored(ignore, rel),
    );
    expect(shipped).toContain('cli/main.ts');
    const allowed = new Set([...Object.keys(pkg.dependencies), pkg.name]);
    const bad: string[] = [];
    for (const file of shipped) {
      for (const spec of runtimeImports(readRepoFile(file))) {
        if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        if (!allowed.has(packageOf(spec))) bad.push(`${file}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('runtimeImports', () => {
  it('finds static, re-export and dynamic imports, and skips type-only and relative ones', () => {
    const src = [
      "import { a } from 'pino';",
      "import type { B } from 'vitest';",
      "export { c } from '@scope/pkg/sub';",
      "import './local.ts';",
      "import 'side-effect';",
      "const m = await import('yaml');",
    ].join('\n');
    expect(runtimeImports(src).sort()).toEqual(['@scope/pkg/sub', 'pino', 'side-effect', 'yaml']);
    expect(packageOf('@scope/pkg/sub')).toBe('@scope/pkg');
  });
});
