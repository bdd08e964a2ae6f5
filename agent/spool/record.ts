/**
 * The spool's on-disk entry: one agent batch (already compressed, opaque to the spool)
 * framed with a length and a CRC so recovery can tell a whole entry from a torn or
 * damaged one. All integers are big-endian.
 *
 * | offset | bytes | field                                                              |
 * |--------|-------|--------------------------------------------------------------------|
 * | 0      | 1     | magic/version: 0xF1                                                |
 * | 1      | 4     | length L: bytes after the CRC field (18-byte header + payload)    |
 * | 5      | 4     | CRC32 (zlib polynomial) of bytes 0..4 and 9..9+L (all but itself)  |
 * | 9      | 1     | criticality rank: 3 CRITICAL_PLUS .. 0 SHEDDABLE                   |
 * | 10     | 8     | entry id: spool-wide, strictly increasing (identity for acks,      |
 * |        |       | tombstones and compaction; offsets change when a segment is compacted) |
 * | 18     | 8     | created-at, ms since the epoch                                     |
 * | 26     | 1     | payload encoding: 0 none, 1 gzip, 2 zstd                           |
 * | 27     | L-18  | payload: one compressed agent batch                                |
 *
 * The CRC covers the length too, so a flipped length bit is caught like a flipped payload
 * bit. The magic is non-zero so a zero-filled tail (a file whose size reached the disk
 * before its data, after a power cut) never parses as an entry.
 */
import { crc32 } from 'node:zlib';
import { CRITICALITIES, type Criticality, criticalityRank } from '../../core/resilience/criticality.ts';

/** Format version 1. A future format gets a new byte; a reader refuses bytes it does not know. */
export const ENTRY_MAGIC = 0xf1;
/** magic (1) + length (4) + CRC (4). */
export const ENTRY_PREFIX_BYTES = 9;
/** criticality (1) + id (8) + created-at (8) + encoding (1). */
export const ENTRY_HEADER_BYTES = 18;
/** Framing cost of one entry on disk. */
export const ENTRY_OVERHEAD_BYTES = ENTRY_PREFIX_BYTES + ENTRY_HEADER_BYTES;

/** How the payload is compressed; the uplink's `compression` values. */
export const SPOOL_ENCODINGS = ['none', 'gzip', 'zstd'] as const;
export type SpoolEncoding = (typeof SPOOL_ENCODINGS)[number];

/** An entry's fields, without its position on disk. */
export interface EntryHeader {
  id: number;
  criticality: Criticality;
  createdAtMs: number;
  encoding: SpoolEncoding;
}

export interface DecodedEntry extends EntryHeader {
  /** A view into the buffer that was decoded (not a copy). */
  payload: Buffer;
  /** Bytes the whole entry takes on disk. */
  bytes: number;
}

/**
 * Why bytes at an offset are not an entry:
 * - `short`: fewer bytes left than the prefix, or than the length says (a torn write).
 * - `magic`: the first byte is not {@link ENTRY_MAGIC}.
 * - `length`: the length is smaller than the header.
 * - `crc`: the checksum does not match; `bytes` is what the length field claims, which may
 *   itself be the damaged part.
 * - `header`: the checksum matches but a header field is out of range (a newer writer).
 */
export type DecodeFailure = 'short' | 'magic' | 'length' | 'crc' | 'header';

export type DecodeResult = { ok: true; entry: DecodedEntry } | { ok: false; reason: DecodeFailure; bytes?: number };

const CRITICALITY_BY_RANK: readonly Criticality[] = [...CRITICALITIES].sort(
  (a, b) => criticalityRank(a) - criticalityRank(b),
);

/** Bytes an entry with a payload of `payloadBytes` takes on disk. */
export function entryBytes(payloadBytes: number): number {
  return ENTRY_OVERHEAD_BYTES + payloadBytes;
}

/**
 * The prefix and header of an entry for `payload`; write them and then the payload (one
 * `writev`, so the three parts reach the file in one system call).
 */
export function encodeEntryHead(header: EntryHeader, payload: Buffer): Buffer {
  const length = ENTRY_HEADER_BYTES + payload.length;
  if (length > 0xffff_ffff) throw new RangeError(`spool entry of ${payload.length} bytes does not fit a 4-byte length`);
  const head = Buffer.allocUnsafe(ENTRY_OVERHEAD_BYTES);
  head.writeUInt8(ENTRY_MAGIC, 0);
  head.writeUInt32BE(length, 1);
  head.writeUInt8(criticalityRank(header.criticality), 9);
  head.writeBigUInt64BE(BigInt(header.id), 10);
  head.writeBigUInt64BE(BigInt(header.createdAtMs), 18);
  head.writeUInt8(SPOOL_ENCODINGS.indexOf(header.encoding), 26);
  const crc = crc32(payload, crc32(head.subarray(ENTRY_PREFIX_BYTES), crc32(head.subarray(0, 5))));
  head.writeUInt32BE(crc, 5);
  return head;
}

/** The whole entry as one buffer (tests and compaction; the append path uses {@link encodeEntryHead}). */
export function encodeEntry(header: EntryHeader, payload: Buffer): Buffer {
  return Buffer.concat([encodeEntryHead(header, payload), payload]);
}

/** Decodes the entry that starts at `offset` in `buf`, or says why there is none. */
export function decodeEntry(buf: Buffer, offset: number): DecodeResult {
  const available = buf.length - offset;
  if (available < ENTRY_PREFIX_BYTES) return { ok: false, reason: 'short' };
  if (buf[offset] !== ENTRY_MAGIC) return { ok: false, reason: 'magic' };
  const length = buf.readUInt32BE(offset + 1);
  if (length < ENTRY_HEADER_BYTES) return { ok: false, reason: 'length' };
  const bytes = ENTRY_PREFIX_BYTES + length;
  if (available < bytes) return { ok: false, reason: 'short', bytes };
  const body = buf.subarray(offset + ENTRY_PREFIX_BYTES, offset + bytes);
  const crc = crc32(body, crc32(buf.subarray(offset, offset + 5)));
  if (crc !== buf.readUInt32BE(offset + 5)) return { ok: false, reason: 'crc', bytes };
  const criticality = CRITICALITY_BY_RANK[body.readUInt8(0)];
  const encoding = SPOOL_ENCODINGS[body.readUInt8(17)];
  const id = body.readBigUInt64BE(1);
  const createdAtMs = body.readBigUInt64BE(9);
  if (
    criticality === undefined ||
    encoding === undefined ||
    id > BigInt(Number.MAX_SAFE_INTEGER) ||
    createdAtMs > BigInt(Number.MAX_SAFE_INTEGER)
  ) {
    return { ok: false, reason: 'header', bytes };
  }
  return {
    ok: true,
    entry: {
      id: Number(id),
      criticality,
      createdAtMs: Number(createdAtMs),
      encoding,
      payload: body.subarray(ENTRY_HEADER_BYTES),
      bytes,
    },
  };
}
