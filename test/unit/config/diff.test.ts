import { describe, expect, it } from 'vitest';
import { changedPaths, diffConfigs, formatDiff, restartRequired } from '../../../config/diff.ts';
import { configDiffCommand } from '../../../config/diff-command.ts';
import { validateConfig } from '../../../config/load.ts';
import { baseDocument } from './fixtures.ts';

const load = (doc: unknown) => validateConfig(doc, 'test');

describe('changedPaths', () => {
  it('names array elements by id or name, so reordering logIds is no change', () => {
    const a = baseDocument();
    const b = baseDocument();
    b.logIds.reverse();
    expect(changedPaths(a, b)).toEqual([]);
    b.logIds[0].importance = 'A';
    b.sinks[1].directory = '/tmp/other';
    expect(changedPaths(a, b)).toEqual(['logIds[unknown].importance', 'sinks[archive].directory']);
  });

  it('reports an added or removed element as one path, and unnamed arrays as wholes', () => {
    const a = baseDocument();
    const b = baseDocument();
    b.logIds.push({ id: 'orders', name: 'Orders', owner: 'x', importance: 'B', sinks: ['archive'] });
    b.sinks.pop();
    b.clusters[0].brokers = ['127.0.0.1:19092', '127.0.0.1:19093'];
    expect(changedPaths(a, b)).toEqual(['clusters[main].brokers', 'logIds[orders]', 'sinks[archive]']);
  });
});

describe('restartRequired', () => {
  it('lists, per component, only the keys that component reads at start, with why', () => {
    const changed = ['clusters[main].brokers', 'router.listen.port', 'agent.spool.directory', 'logIds[x].quota'];
    expect(restartRequired(changed, 'router')).toEqual([
      { path: 'clusters[main].brokers', why: "the router's Kafka connections are opened at start" },
      { path: 'router.listen.port', why: 'the listening socket is bound at start' },
    ]);
    expect(restartRequired(changed, 'agent')).toEqual([
      { path: 'agent.spool.directory', why: 'the spool directory is opened and sized at start' },
    ]);
    expect(restartRequired(changed, 'sink').map((r) => r.path)).toEqual(['clusters[main].brokers']);
    expect(restartRequired(['router.listenX', 'router.tokens[0].token'], 'router')).toEqual([]);
  });

  it("a partition budget applies live; moving a sink's gutter needs its old gutter drained first", () => {
    expect(restartRequired(['clusters[main].partitionBudget'], 'sink')).toEqual([]);
    expect(restartRequired(['clusters[main].partitionBudget', 'clusters[aux]'], 'router').map((r) => r.path)).toEqual([
      'clusters[aux]',
    ]);
    const gutter = restartRequired(
      ['sinks[search].gutter.cluster', 'sinks[search].gutter.drainSharePct', 'pools.gutter'],
      'sink',
    );
    expect(gutter.map((r) => r.path)).toEqual(['sinks[search].gutter.cluster', 'pools.gutter']);
    expect(gutter[0]!.why).toContain('let the drainer empty them (spillway_gutter_lag_records 0)');
    expect(restartRequired(['pools.gutter'], 'router')).toEqual([]);
  });
});

describe('diffConfigs', () => {
  it('an importance change moves the logId: new topics to create, old ones leaving, its sink reading the new ones', () => {
    const before = load(baseDocument());
    const doc = baseDocument();
    doc.logIds[1].importance = 'S';
    const d = diffConfigs(before, load(doc));
    expect(d.changed).toEqual(['logIds[unknown].importance']);
    expect(d.moves).toEqual([
      {
        logId: 'unknown',
        from: { error: 'aux/spw.c.error.h3', warn: 'aux/spw.c.warn.h3', info: 'aux/spw.c.info.h3' },
        to: { error: 'aux/spw.s.error.h3', warn: 'aux/spw.s.warn.h3', info: 'aux/spw.s.info.h3' },
      },
    ]);
    expect(d.topicsToCreate).toEqual([
      { cluster: 'aux', topic: 'spw.s.error.h3', partitions: 3 },
      { cluster: 'aux', topic: 'spw.s.info.h3', partitions: 3 },
      { cluster: 'aux', topic: 'spw.s.warn.h3', partitions: 3 },
    ]);
    expect(d.topicsLeaving).toEqual([
      { cluster: 'aux', topic: 'spw.c.error.h3' },
      { cluster: 'aux', topic: 'spw.c.info.h3' },
      { cluster: 'aux', topic: 'spw.c.warn.h3' },
    ]);
    expect(d.sinks).toEqual([
      { name: 'archive', change: 'changed', gains: [], loses: [], moved: ['unknown'], settings: false },
    ]);
    expect(d.restart).toEqual({});
  });

  it('a logId and a sink added: the sink gains it, other sinks are not listed', () => {
    const before = load(baseDocument());
    const doc = baseDocument();
    doc.sinks.push({ type: 'file', name: 'audit', directory: '/tmp/audit' });
    doc.logIds.push({ id: 'orders', name: 'Orders', owner: 'x', importance: 'A', sinks: ['audit', 'search'] });
    const d = diffConfigs(before, load(doc));
    expect(d.logIds).toEqual({ added: ['orders'], removed: [] });
    expect(d.sinks).toEqual([
      { name: 'search', change: 'changed', gains: ['orders'], loses: [], moved: [], settings: false },
      { name: 'audit', change: 'added', gains: ['orders'], loses: [], moved: [], settings: false },
    ]);
    expect(d.moves).toEqual([]);
  });

  it('prints the diff a reviewer reads, and "no change" for identical files', () => {
    const before = load(baseDocument());
    const doc = baseDocument();
    doc.logIds[1].importance = 'S';
    doc.clusters[1].brokers = ['127.0.0.1:29093'];
    doc.router = { tokens: [{ agent: 'edge', token: 'a-secret-token-123456' }] };
    const text = formatDiff(diffConfigs(before, load(doc)), { before: 'old.yaml', after: 'new.yaml' });
    expect(text).toBe(
      [
        'old.yaml -> new.yaml: 3 changed key(s)',
        '',
        'placement moves (follow docs/operations.md#changing-placement-without-loss: routers first, sinks once the old topics are drained):',
        '  unknown [error]: aux/spw.c.error.h3 -> aux/spw.s.error.h3',
        '  unknown [warn]: aux/spw.c.warn.h3 -> aux/spw.s.warn.h3',
        '  unknown [info]: aux/spw.c.info.h3 -> aux/spw.s.info.h3',
        '',
        'topics to create:',
        '  aux/spw.s.error.h3 (3 partitions)',
        '  aux/spw.s.info.h3 (3 partitions)',
        '  aux/spw.s.warn.h3 (3 partitions)',
        '',
        'topics leaving the plan (drained by the sinks, then left to retention; Spillway never deletes them):',
        '  aux/spw.c.error.h3',
        '  aux/spw.c.info.h3',
        '  aux/spw.c.warn.h3',
        '',
        'sinks:',
        '  ~ archive: reads the moved unknown from the new topics',
        '',
        'needs a restart (a reload refuses this file):',
        "  router: clusters[aux].brokers (the router's Kafka connections are opened at start)",
        "  sink: clusters[aux].brokers (the sinks' Kafka connections are opened at start)",
        "  monitor: clusters[aux].brokers (the monitor's Kafka connections are opened at start)",
        '',
        'changed keys:',
        '  clusters[aux].brokers',
        '  logIds[unknown].importance',
        '  router.tokens',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('a-secret-token');
    expect(formatDiff(diffConfigs(before, before), { before: 'a', after: 'b' })).toBe('a -> b: no change\n');
  });

  it('config diff refuses anything but two files, naming what it found', async () => {
    const out = { write: () => true } as unknown as NodeJS.WritableStream;
    await expect(configDiffCommand(['one.yaml'], out)).rejects.toThrow(
      'config diff: expected two config files, found 1; usage: spillway config diff OLD NEW [--json]',
    );
    await expect(configDiffCommand(['a.yaml', 'b.yaml', '--exit-code'], out)).rejects.toThrow(
      'config diff: unknown option "--exit-code"',
    );
  });
});
