import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HASH_BUCKETS, DEFAULT_RETENTION_MS } from '../../../config/channels.ts';
import { DEFAULT_PARTITION_BUDGET } from '../../../config/cluster.ts';
import { interpolate } from '../../../config/interpolate.ts';
import { levenshtein, suggest } from '../../../config/issues.ts';
import { loadConfig, parseConfig, validateConfig } from '../../../config/load.ts';
import { DEFAULT_FALLBACK_LOG_ID } from '../../../config/router.ts';
import { isSpillwayError, type SpillwayError } from '../../../core/errors.ts';
import { baseDocument } from './fixtures.ts';

function caught(fn: () => unknown): SpillwayError {
  try {
    fn();
  } catch (err) {
    if (isSpillwayError(err)) return err;
    throw err;
  }
  throw new Error('expected a SpillwayError');
}

function allFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  return Object.isFrozen(value) && Object.values(value).every(allFrozen);
}

describe('several problems in one file', () => {
  it('reports every one, with structured issues', () => {
    const doc = baseDocument();
    doc.clusters[0].requestTimeoutMs = 60000;
    doc.pools.B = ['nope'];
    doc.logIds[0].importance = 'X';
    doc.sinks[0].batch = { lingerMS: 5 };
    doc.extra = true;
    const err = caught(() => validateConfig(doc, 'multi.yaml', { env: {} }));
    expect(err.code).toBe('SPW_ERR_CONFIG_INVALID');
    expect(err.exitCode).toBe(2);
    const lines = err.message.split('\n');
    expect(lines[0]).toBe('multi.yaml: 5 problems');
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual([
      'clusters[0].requestTimeoutMs',
      'logIds[0].importance',
      'sinks[0].batch.lingerMS',
      'extra',
      'pools.B[0]',
    ]);
    const issues = err.context.issues as { path: string; expected: string; found: string; message: string }[];
    expect(issues).toHaveLength(5);
    expect(issues[1]).toEqual({
      path: 'logIds[0].importance',
      expected: 'one of "S", "A", "B", "C"',
      found: '"X"',
      message: 'logIds[0].importance: expected one of "S", "A", "B", "C", found "X"',
    });
  });
});

describe('environment interpolation', () => {
  it('substitutes ${NAME}, ${NAME:-default} and the $${ escape', () => {
    const r = interpolate(
      { a: '${A}', b: 'x-${B:-dflt}-y', c: '$${A}', d: '${E:-}', e: '${EMPTY:-fb}' },
      { A: 'one', EMPTY: '' },
    );
    expect(r.value).toEqual({ a: 'one', b: 'x-dflt-y', c: '${A}', d: '', e: 'fb' });
    expect(r.missing).toEqual([]);
  });
  it('turns a whole-value placeholder into a number or boolean', () => {
    expect(interpolate({ p: '${P}', q: 'port ${P}', t: '${T}' }, { P: '7070', T: 'true' }).value).toEqual({
      p: 7070,
      q: 'port 7070',
      t: true,
    });
  });
  it('names every missing variable and its path', () => {
    const doc = baseDocument();
    doc.clusters[0].brokers = ['${KAFKA_MAIN}'];
    doc.sinks[0].nodes = ['${SEARCH_URL}'];
    const err = caught(() => validateConfig(doc, 'env.yaml', { env: {} }));
    expect(err.code).toBe('SPW_ERR_CONFIG_ENV_MISSING');
    expect(err.message.split('\n')).toEqual([
      'env.yaml: 2 problems',
      'clusters[0].brokers[0]: expected environment variable KAFKA_MAIN to be set, found it unset',
      'sinks[0].nodes[0]: expected environment variable SEARCH_URL to be set, found it unset',
    ]);
  });
  it('reports a malformed placeholder', () => {
    const doc = baseDocument();
    doc.logIds[0].owner = 'team-${1X}';
    expect(
      caught(() => validateConfig(doc, 'env.yaml', { env: {} }))
        .message.split('\n')
        .slice(1),
    ).toEqual([
      'logIds[0].owner: expected ${NAME} or ${NAME:-default} with NAME made of letters, digits and "_", found "${1X}"',
    ]);
  });
  it('resolves secrets from the environment', () => {
    const doc = baseDocument();
    doc.sinks[0].auth = { username: 'spw', password: '${PW}' };
    const c = validateConfig(doc, 'env.yaml', { env: { PW: 's3cret' } });
    expect(c.sinks[0]).toMatchObject({ auth: { username: 'spw', password: 's3cret' } });
  });
});

describe('did you mean', () => {
  it.each([
    ['lingerMS', ['maxRecords', 'maxBytes', 'lingerMs'], 'lingerMs'],
    ['requestTimeoutMS', ['requestTimeoutMs', 'connectTimeoutMs'], 'requestTimeoutMs'],
    ['brokres', ['name', 'brokers', 'partitionBudget'], 'brokers'],
    ['mian', ['main', 'aux'], 'main'],
    ['colour', ['clusters', 'pools', 'sinks'], undefined],
    ['x', ['name', 'type'], undefined],
  ] as const)('%s -> %s', (name, allowed, expected) => {
    expect(suggest(name, allowed)).toBe(expected);
  });
  it('levenshtein counts edits', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('ab', 'ba')).toBe(1);
    expect(levenshtein('', 'abc')).toBe(3);
  });
});

describe('resolved result', () => {
  it('applies defaults and is deeply frozen', () => {
    const c = validateConfig(baseDocument(), 'ok.yaml', { env: {} });
    expect(c.clusters[0]!.partitionBudget).toBe(DEFAULT_PARTITION_BUDGET);
    expect(c.channels.hashBuckets).toBe(DEFAULT_HASH_BUCKETS);
    expect(c.channels.retentionMs).toBe(DEFAULT_RETENTION_MS);
    expect(c.channels.levelClasses).toEqual({
      error: ['fatal', 'error'],
      warn: ['warn'],
      info: ['info', 'debug', 'trace'],
    });
    expect(c.router.fallbackLogId).toBe(DEFAULT_FALLBACK_LOG_ID);
    expect(c.router.listen).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(c.sinks[0]!.gutter.throttleK).toBe(2);
    expect(c.agent.uplink.batch.lingerMs).toBe(200);
    expect(c.monitor.intervalMs).toBe(5000);
    expect(c.logIds[0]!.dedicated).toBe(false);
    expect(allFrozen(c)).toBe(true);
    expect(() => {
      (c.channels as { hashBuckets: number }).hashBuckets = 9;
    }).toThrow(TypeError);
  });
  it('does not share default objects between loads', () => {
    const a = validateConfig(baseDocument(), 'a.yaml', { env: {} });
    const b = validateConfig(baseDocument(), 'b.yaml', { env: {} });
    expect(a.channels.levelClasses).not.toBe(b.channels.levelClasses);
  });
});

describe('reading files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spw-config-'));
  it('points at file:line:col for YAML syntax errors', () => {
    const err = caught(() =>
      parseConfig('clusters:\n  - name: main\n    brokers: [a:1\n', { file: 'bad.yaml', env: {} }),
    );
    expect(err.code).toBe('SPW_ERR_CONFIG_READ');
    expect(err.message).toMatch(/^bad\.yaml:\d+:\d+: invalid YAML: /);
  });
  it('points at file:line:col for JSON syntax errors', () => {
    const err = caught(() => parseConfig('{\n  "clusters": [,]\n}', { file: 'bad.json', env: {} }));
    expect(err.code).toBe('SPW_ERR_CONFIG_READ');
    expect(err.message).toMatch(/^bad\.json:2:16: invalid JSON: /);
  });
  it('refuses duplicate YAML keys', () => {
    expect(caught(() => parseConfig('pools: {}\npools: {}\n', { file: 'dup.yaml', env: {} })).message).toMatch(
      /^dup\.yaml:2:1: invalid YAML: /,
    );
  });
  it('refuses an unknown extension and a missing file', async () => {
    await expect(loadConfig(join(dir, 'x.toml'))).rejects.toMatchObject({ code: 'SPW_ERR_CONFIG_READ' });
    await expect(loadConfig(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'SPW_ERR_CONFIG_READ' });
  });
  it('loads JSON and YAML alike', async () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify(baseDocument()));
    expect((await loadConfig(file, { env: {} })).clusters).toHaveLength(2);
  });
  it('validates examples/demo.yaml', async () => {
    const c = await loadConfig('examples/demo.yaml', { env: {} });
    expect(c.clusters.map((x) => x.brokers[0])).toEqual(['127.0.0.1:19092', '127.0.0.1:29092']);
    expect(c.logIds.length).toBeGreaterThanOrEqual(8);
  });
});
