/**
 * One batch, one compressed unit: a complete gzip member or zstd frame per batch. Readers
 * decompress concatenated members/frames as one stream (RFC 1952 §2.2; zstd format §2),
 * so a file stays readable after a crash; only a torn last unit is lost, and its records
 * were not committed to Kafka yet. zlib runs on libuv's thread pool, off the event loop.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Compression } from './file-naming.ts';

const gzip = promisify(zlib.gzip);
const zstd = promisify(zlib.zstdCompress);

/** zlib's default level 6: most of level 9's ratio at a fraction of its CPU. */
export const GZIP_LEVEL = 6;
/** zstd's own default level 3. */
export const ZSTD_LEVEL = 3;

export function compressBatch(compression: Compression, data: Buffer): Promise<Buffer> {
  switch (compression) {
    case 'gzip':
      return gzip(data, { level: GZIP_LEVEL });
    case 'zstd':
      return zstd(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL } });
    default:
      return Promise.resolve(data);
  }
}

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames have magics 0x184D2A50-0x184D2A5F. */
const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE = 0x184d2a50;

/**
 * Splits a buffer into its zstd frames (RFC 8878 §3.1: header, blocks until the last one,
 * optional checksum). Needed because node:zlib's zstd decoder stops after the first frame,
 * unlike the zstd CLI. Stops at a torn last frame and says so.
 */
export function zstdFrames(data: Buffer): { frames: Buffer[]; tornBytes: number } {
  const frames: Buffer[] = [];
  let off = 0;
  while (off < data.length) {
    const start = off;
    const end = zstdFrameEnd(data, off);
    if (end === undefined) return { frames, tornBytes: data.length - start };
    if (end > 0) frames.push(data.subarray(start, end));
    off = Math.abs(end);
  }
  return { frames, tornBytes: 0 };
}

/** End offset of the frame at `off`; negative for a skippable frame; undefined when it is cut short. */
function zstdFrameEnd(data: Buffer, off: number): number | undefined {
  if (off + 4 > data.length) return undefined;
  const magic = data.readUInt32LE(off);
  if ((magic & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE) {
    if (off + 8 > data.length) return undefined;
    const end = off + 8 + data.readUInt32LE(off + 4);
    return end > data.length ? undefined : -end;
  }
  if (magic !== ZSTD_MAGIC) throw new Error(`not a zstd frame at byte ${off}`);
  if (off + 5 > data.length) return undefined;
  const fhd = data[off + 4]!;
  const singleSegment = (fhd >> 5) & 1;
  const fcsFlag = fhd >> 6;
  const fcsSize = fcsFlag === 0 ? singleSegment : [0, 2, 4, 8][fcsFlag]!;
  const didSize = [0, 1, 2, 4][fhd & 3]!;
  const checksum = (fhd >> 2) & 1;
  let p = off + 5 + (singleSegment ? 0 : 1) + didSize + fcsSize;
  for (;;) {
    if (p + 3 > data.length) return undefined;
    const header = data.readUIntLE(p, 3);
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >> 3;
    p += 3 + (type === 1 ? 1 : size);
    if (p > data.length) return undefined;
    if (last) break;
  }
  p += checksum * 4;
  return p > data.length ? undefined : p;
}

/** Decompresses a whole file (every member/frame); throws on a torn last one. For tests and tools. */
export function decompressFile(compression: Compression, data: Buffer): Buffer {
  switch (compression) {
    case 'gzip':
      return zlib.gunzipSync(data);
    case 'zstd': {
      const { frames, tornBytes } = zstdFrames(data);
      if (tornBytes > 0) throw new Error(`torn zstd frame: the last ${tornBytes} bytes`);
      return Buffer.concat(frames.map((f) => zlib.zstdDecompressSync(f)));
    }
    default:
      return data;
  }
}
