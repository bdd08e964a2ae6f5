import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../config/load.ts';
import { ConfigReloader, holdSighup, WATCH_DEBOUNCE_MS } from '../../../config/reload.ts';
import type { SpillwayConfig } from '../../../config/schema.ts';
import { Telemetry } from '../../../core/telemetry.ts';
import { baseDocument } from './fixtures.ts';

const dirs: string[] = [];
const stops: (() => unknown)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(doc = baseDocument(), apply?: (next: SpillwayConfig) => Promise<void>) {
  const dir = await mkdtemp(path.join(tmpdir(), 'spw-reload-'));
  dirs.push(dir);
  const file = path.join(dir, 'spillway.json');
  const text = JSON.stringify(doc);
  await writeFile(file, text);
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, cb) {
        lines.push(JSON.parse(String(chunk)));
        cb();
      },
    }),
  );
  const telemetry = new Telemetry('router');
  const applied: SpillwayConfig[] = [];
  const reloader = new ConfigReloader({
    file,
    component: 'router',
    current: parseConfig(text, { file }),
    apply: async (next) => {
      await apply?.(next);
      applied.push(next);
    },
    telemetry,
    log,
  });
  stops.push(() => reloader.stop());
  const write = (d: unknown) => writeFile(file, typeof d === 'string' ? d : JSON.stringify(d));
  const count = (result: string) => telemetry.value('spillway_config_reloads_total', { result });
  return { dir, file, reloader, telemetry, applied, lines, write, count };
}

/** A second reloader on setup()'s file, with --watch-config, started. */
async function watching(t: Awaited<ReturnType<typeof setup>>): Promise<ConfigReloader> {
  const watcher = new ConfigReloader({
    file: t.file,
    component: 'router',
    current: t.reloader.current,
    apply: async (next) => void t.applied.push(next),
    telemetry: t.telemetry,
    log: pino({ level: 'silent' }),
    watch: true,
  });
  stops.push(() => watcher.stop());
  await watcher.start();
  return watcher;
}

describe('ConfigReloader', () => {
  it('applies a valid change, and counts an unchanged file as such', async () => {
    const t = await setup();
    const doc = baseDocument();
    doc.logIds.push({ id: 'orders', name: 'Orders', owner: 'x', importance: 'A', sinks: ['search'] });
    await t.write(doc);
    expect(await t.reloader.reload()).toEqual({ result: 'applied', changed: ['logIds[orders]'] });
    expect(t.applied.map((c) => c.logIds.map((l) => l.id))).toEqual([['payments', 'unknown', 'orders']]);
    expect(t.reloader.current.logIds).toHaveLength(3);
    expect(await t.reloader.reload()).toEqual({ result: 'unchanged', changed: [] });
    expect(await t.count('applied')).toBe(1);
    expect(await t.count('unchanged')).toBe(1);
    expect(await t.telemetry.value('spillway_config_last_reload_successful')).toBe(1);
  });

  it('refuses an invalid file with the messages config check gives, and keeps the old config', async () => {
    const t = await setup();
    const before = t.reloader.current;
    const doc = baseDocument();
    doc.logIds[0].sinks = ['nowhere'];
    await t.write(doc);
    const out = await t.reloader.reload();
    expect(out.result).toBe('invalid');
    expect(out.error).toContain('logIds[0].sinks[0]');
    expect(out.error).toContain('nowhere');
    expect(out.error).toContain('[SPW_ERR_CONFIG_INVALID]');
    await t.write('{"clusters": [');
    const broken = await t.reloader.reload();
    expect(broken.result).toBe('invalid');
    expect(broken.error).toMatch(/spillway\.json:1:\d+: invalid JSON/);
    expect(t.reloader.current).toBe(before);
    expect(t.applied).toEqual([]);
    expect(await t.count('invalid')).toBe(2);
    expect(await t.telemetry.value('spillway_config_last_reload_successful')).toBe(0);
    const refusals = t.lines.filter((l) => l.msg === 'config reload refused; still running on the previous config');
    expect(refusals.map((l) => [l.level, l.result])).toEqual([
      [50, 'invalid'],
      [50, 'invalid'],
    ]);
  });

  it('refuses a file that changes a key read only at start, naming it, and applies nothing of it', async () => {
    const t = await setup();
    const doc = baseDocument();
    doc.router = { listen: { port: 7999 } };
    doc.logIds.push({ id: 'orders', name: 'Orders', owner: 'x', importance: 'A', sinks: ['search'] });
    await t.write(doc);
    const out = await t.reloader.reload();
    expect(out.result).toBe('restart-required');
    expect(out.error).toBe(
      'router.listen.port changed: restart the router to apply it (the listening socket is bound at start)',
    );
    expect(t.applied).toEqual([]);
    expect(t.reloader.current.logIds).toHaveLength(2);
    expect(await t.count('restart-required')).toBe(1);
  });

  it('an apply that throws leaves the old config in force and counts failed', async () => {
    const t = await setup(baseDocument(), async () => {
      throw new Error('creating topics failed');
    });
    const doc = baseDocument();
    doc.logIds[0].importance = 'B';
    await t.write(doc);
    expect(await t.reloader.reload()).toEqual({
      result: 'failed',
      changed: ['logIds[payments].importance'],
      error: 'creating topics failed',
    });
    expect(t.reloader.current.logIds[0]!.importance).toBe('S');
    expect(await t.count('failed')).toBe(1);
    expect(await t.telemetry.value('spillway_config_last_reload_successful')).toBe(0);
  });

  it('runs one reload at a time: a second call during one shares it and queues one more', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const t = await setup(baseDocument(), async () => {
      calls++;
      if (calls === 1) await gate;
    });
    const doc = baseDocument();
    doc.logIds[0].importance = 'B';
    await t.write(doc);
    const first = t.reloader.reload();
    const second = t.reloader.reload();
    expect(second).toBe(first);
    await expect.poll(() => calls).toBe(1);
    doc.logIds[0].importance = 'C';
    await t.write(doc);
    release();
    expect((await first).result).toBe('applied');
    await expect.poll(() => t.reloader.current.logIds[0]!.importance).toBe('C');
    expect(calls).toBe(2);
  });

  it('reloads on SIGHUP', async () => {
    const t = await setup();
    await t.reloader.start();
    const doc = baseDocument();
    doc.logIds[0].owner = 'team-new';
    await t.write(doc);
    process.emit('SIGHUP', 'SIGHUP');
    await expect.poll(() => t.reloader.current.logIds[0]!.owner).toBe('team-new');
    expect(await t.count('applied')).toBe(1);
  });

  it('--watch-config follows a file replaced by rename, and ignores rewrites that change nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'spw-reload-'));
    dirs.push(dir);
    const t = await setup();
    const watcher = await watching(t);
    const doc = baseDocument();
    doc.logIds[0].owner = 'renamed-in';
    const tmp = path.join(t.dir, '.spillway.json.tmp');
    await writeFile(tmp, JSON.stringify(doc));
    await rename(tmp, t.file);
    await expect.poll(() => watcher.current.logIds[0]!.owner, { timeout: 5_000 }).toBe('renamed-in');
    await writeFile(t.file, JSON.stringify(doc));
    await new Promise((r) => setTimeout(r, WATCH_DEBOUNCE_MS * 4));
    expect(t.applied).toHaveLength(1);
    expect(await t.count('unchanged')).toBe(0);
  });
});

describe('ConfigReloader lifecycle', () => {
  it('a SIGHUP held before start is applied once the reloader starts; after stop SIGHUP is ignored and reloads refused', async () => {
    const t = await setup();
    holdSighup();
    const doc = baseDocument();
    doc.logIds[0].owner = 'held';
    await t.write(doc);
    process.emit('SIGHUP', 'SIGHUP');
    expect(t.reloader.current.logIds[0]!.owner).toBe('team-pay');
    await t.reloader.start();
    await expect.poll(() => t.reloader.current.logIds[0]!.owner).toBe('held');
    await t.reloader.stop();
    expect(process.listenerCount('SIGHUP')).toBe(1);
    expect(await t.reloader.reload()).toEqual({ result: 'failed', changed: [], error: 'the component is stopping' });
  });

  it('--watch-config: a file changed between loading and start is reloaded at start', async () => {
    const t = await setup();
    const doc = baseDocument();
    doc.logIds[0].owner = 'changed-before-start';
    await t.write(doc);
    const watcher = await watching(t);
    await expect.poll(() => watcher.current.logIds[0]!.owner).toBe('changed-before-start');
    expect(await t.count('applied')).toBe(1);
  });
});
