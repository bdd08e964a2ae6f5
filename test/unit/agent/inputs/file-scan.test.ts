import { describe, expect, it } from 'vitest';
import type { FileCheckpoint } from '../../../../agent/inputs/file-checkpoint.ts';
import { endStart, planScan, sizeChange, startDecision } from '../../../../agent/inputs/file-scan.ts';

const tailing = (entries: [string, string][]) => new Map(entries.map(([key, path]) => [key, { path }]));

describe('planScan: what a glob scan means for the tailed files', () => {
  it('nothing changed', () => {
    expect(planScan(tailing([['1:10', '/l/a.log']]), [{ path: '/l/a.log', key: '1:10' }])).toEqual({
      moved: [],
      gone: [],
      added: [],
    });
  });

  it('rename rotation: the old inode is gone, the new file at its path replaces it', () => {
    expect(planScan(tailing([['1:10', '/l/a.log']]), [{ path: '/l/a.log', key: '1:11' }])).toEqual({
      moved: [],
      gone: ['1:10'],
      added: [{ path: '/l/a.log', key: '1:11', replaces: '1:10' }],
    });
  });

  it('rename within the globs: the file moved, the new one at the old path replaces nothing gone', () => {
    expect(
      planScan(tailing([['1:10', '/l/a.log']]), [
        { path: '/l/a.log', key: '1:11' },
        { path: '/l/a.log.1', key: '1:10' },
      ]),
    ).toEqual({
      moved: [{ path: '/l/a.log.1', key: '1:10' }],
      gone: [],
      added: [{ path: '/l/a.log', key: '1:11', replaces: '1:10' }],
    });
  });

  it('deleted file is gone; a new file elsewhere is added without replacing', () => {
    expect(
      planScan(
        tailing([
          ['1:10', '/l/a.log'],
          ['1:12', '/l/c.log'],
        ]),
        [
          { path: '/l/b.log', key: '1:11' },
          { path: '/l/c.log', key: '1:12' },
        ],
      ),
    ).toEqual({ moved: [], gone: ['1:10'], added: [{ path: '/l/b.log', key: '1:11' }] });
  });

  it('a file under two paths (hard link) is tailed once, under the first path', () => {
    expect(
      planScan(tailing([]), [
        { path: '/l/a.log', key: '1:10' },
        { path: '/l/b.log', key: '1:10' },
      ]),
    ).toEqual({ moved: [], gone: [], added: [{ path: '/l/a.log', key: '1:10' }] });
  });

  it('same inode number on another device is another file', () => {
    expect(planScan(tailing([['1:10', '/l/a.log']]), [{ path: '/m/a.log', key: '2:10' }])).toEqual({
      moved: [],
      gone: ['1:10'],
      added: [{ path: '/m/a.log', key: '2:10' }],
    });
  });
});

describe('sizeChange', () => {
  it.each([
    [100, 150, 'grown'],
    [100, 100, 'unchanged'],
    [0, 0, 'unchanged'],
    [100, 99, 'truncated'],
    [100, 0, 'truncated'],
  ] as const)('read to %d, size %d: %s', (position, size, expected) => {
    expect(sizeChange(position, size)).toBe(expected);
  });
});

describe('startDecision', () => {
  const cp: FileCheckpoint = {
    dev: '1',
    ino: '10',
    offset: 500,
    path: '/l/a.log',
    fingerprint: { bytes: 500, crc: 1 },
  };
  it.each([
    ['checkpoint, file grew', cp, 900, true, true, 'end', { from: 'checkpoint', offset: 500 }],
    ['checkpoint, file unchanged', cp, 500, true, false, 'beginning', { from: 'checkpoint', offset: 500 }],
    [
      'checkpoint, file shorter now',
      cp,
      499,
      true,
      true,
      'end',
      { from: 'beginning', reason: 'truncated-while-stopped' },
    ],
    ['checkpoint, first bytes differ', cp, 900, false, true, 'end', { from: 'beginning', reason: 'content-changed' }],
    ['no checkpoint, first scan, startAt end', undefined, 900, true, true, 'end', { from: 'end' }],
    [
      'no checkpoint, first scan, startAt beginning',
      undefined,
      900,
      true,
      true,
      'beginning',
      { from: 'beginning', reason: 'startAt' },
    ],
    ['no checkpoint, later scan', undefined, 900, true, false, 'end', { from: 'beginning', reason: 'new-file' }],
  ] as const)('%s', (_name, checkpoint, size, fpMatches, firstScan, startAt, expected) => {
    expect(startDecision(checkpoint, size, fpMatches, firstScan, startAt)).toEqual(expected);
  });
});

describe('endStart: startAt end begins after the last complete line', () => {
  it.each([
    ['whole file, ends with a newline', 'a\nb\n', 4, 4],
    ['whole file, partial last line', 'a\nbc', 4, 2],
    ['whole file, one partial line', 'abc', 3, 0],
    ['empty file', '', 0, 0],
    ['tail of a larger file', 'x\nyz', 1000, 998],
    ['tail of a larger file, no newline in it', 'xyz', 1000, 1000],
  ])('%s', (_name, tail, size, expected) => {
    expect(endStart(Buffer.from(tail), size)).toBe(expected);
  });
});
