import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressBatch, decompressFile, zstdFrames } from '../../../../sinks/file/compress.ts';
import {
  fileName,
  filePath,
  groupByHour,
  hourLabel,
  hourStart,
  isPermanentFsError,
  isSafeLogId,
  shouldRotate,
} from '../../../../sinks/file/file-naming.ts';

const H = Date.UTC(2026, 10, 26, 18);

describe('file names', () => {
  it.each([
    [H, 0, 'gzip', '2026-11-26-18-0000.ndjson.gz'],
    [H, 12, 'zstd', '2026-11-26-18-0012.ndjson.zst'],
    [Date.UTC(2026, 0, 2, 3), 10000, 'none', '2026-01-02-03-10000.ndjson'],
  ] as const)('hour %i seq %i %s is %s', (hour, seq, compression, name) => {
    expect(fileName(hour, seq, compression)).toBe(name);
  });

  it('lives under directory/logId', () => {
    expect(filePath('/var/arch', 'checkout', H, 1, 'gzip')).toBe('/var/arch/checkout/2026-11-26-18-0001.ndjson.gz');
  });

  it('the hour is the UTC hour of the Kafka timestamp', () => {
    expect(hourStart(H + 59 * 60_000 + 59_999)).toBe(H);
    expect(hourLabel(hourStart(H + 3_600_000))).toBe('2026-11-26-19');
  });

  it('groups a batch by hour, keeping order', () => {
    const rs = [{ timestampMs: H + 1 }, { timestampMs: H + 3_600_000 }, { timestampMs: H + 2 }];
    expect([...groupByHour(rs)]).toEqual([
      [H, [rs[0], rs[2]]],
      [H + 3_600_000, [rs[1]]],
    ]);
  });

  it.each([
    ['checkout', true],
    ['Api_v2-x', true],
    ['../etc', false],
    ['a/b', false],
    ['', false],
  ])('logId %s is path-safe: %s', (id, safe) => {
    expect(isSafeLogId(id)).toBe(safe);
  });
});

describe('rotation', () => {
  const limits = { rotateBytes: 1000, rotateMs: 60_000 };
  it.each([
    ['an empty file never rotates', { bytes: 0, openedAtMs: 0 }, 10 ** 9, false],
    ['below both limits', { bytes: 999, openedAtMs: 0 }, 59_999, false],
    ['reached rotateBytes', { bytes: 1000, openedAtMs: 0 }, 1, true],
    ['reached rotateMs', { bytes: 1, openedAtMs: 0 }, 60_000, true],
  ])('%s', (_name, state, now, rotate) => {
    expect(shouldRotate(state, now, limits)).toBe(rotate);
  });
});

describe('fs errors', () => {
  it.each([
    ['EACCES', true],
    ['EROFS', true],
    ['ENOTDIR', true],
    ['ENOSPC', false],
    ['EMFILE', false],
    ['EIO', false],
    [undefined, false],
  ])('%s is permanent: %s', (code, permanent) => {
    expect(isPermanentFsError(code)).toBe(permanent);
  });
});

describe('one compressed unit per batch', () => {
  it.each(['gzip', 'zstd', 'none'] as const)('%s: concatenated batches read back as one stream', async (c) => {
    const file = Buffer.concat([
      await compressBatch(c, Buffer.from('{"a":1}\n')),
      await compressBatch(c, Buffer.from('{"b":2}\n')),
    ]);
    expect(decompressFile(c, file).toString()).toBe('{"a":1}\n{"b":2}\n');
  });

  it('gzip: a torn last member loses only that member', async () => {
    const good = await compressBatch('gzip', Buffer.from('{"a":1}\n'));
    const torn = (await compressBatch('gzip', Buffer.from('{"b":2}\n'.repeat(100)))).subarray(0, 20);
    const partial = zlib.gunzipSync(Buffer.concat([good, torn]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(partial.toString().startsWith('{"a":1}\n')).toBe(true);
  });

  it('zstd: frames are found one by one, a torn last one is reported', async () => {
    const a = await compressBatch('zstd', Buffer.from('{"a":1}\n'));
    const b = await compressBatch('zstd', Buffer.from('x'.repeat(300_000)));
    const file = Buffer.concat([a, b]);
    expect(zstdFrames(file).frames.map((f) => f.length)).toEqual([a.length, b.length]);
    const cut = zstdFrames(file.subarray(0, file.length - 2));
    expect(cut.frames.length).toBe(1);
    expect(cut.tornBytes).toBe(b.length - 2);
    expect(() => decompressFile('zstd', file.subarray(0, file.length - 2))).toThrow(
      `torn zstd frame: the last ${b.length - 2} bytes`,
    );
  });
});
