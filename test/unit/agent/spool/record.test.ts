import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeEntry,
  ENTRY_MAGIC,
  ENTRY_OVERHEAD_BYTES,
  type EntryHeader,
  encodeEntry,
  encodeEntryHead,
  entryBytes,
} from '../../../../agent/spool/record.ts';

const header: EntryHeader = { id: 42, criticality: 'SHEDDABLE_PLUS', createdAtMs: 1_700_000_000_123, encoding: 'zstd' };
const payload = Buffer.from('a compressed batch');

describe('spool record format', () => {
  it('lays out magic, length, CRC, header and payload in 27 + n bytes', () => {
    const buf = encodeEntry(header, payload);
    expect(buf.length).toBe(27 + payload.length);
    expect(entryBytes(payload.length)).toBe(buf.length);
    expect(ENTRY_OVERHEAD_BYTES).toBe(27);
    expect(buf[0]).toBe(ENTRY_MAGIC);
    expect(buf.readUInt32BE(1)).toBe(18 + payload.length);
    expect(buf[9]).toBe(1); // SHEDDABLE_PLUS rank
    expect(buf.readBigUInt64BE(10)).toBe(42n);
    expect(buf.readBigUInt64BE(18)).toBe(1_700_000_000_123n);
    expect(buf[26]).toBe(2); // zstd
    expect(buf.subarray(27).equals(payload)).toBe(true);
    expect(encodeEntryHead(header, payload).equals(buf.subarray(0, 27))).toBe(true);
  });

  it('round-trips every criticality and encoding, at any offset', () => {
    for (const criticality of ['CRITICAL_PLUS', 'CRITICAL', 'SHEDDABLE_PLUS', 'SHEDDABLE'] as const) {
      for (const encoding of ['none', 'gzip', 'zstd'] as const) {
        const h = { ...header, criticality, encoding };
        const buf = Buffer.concat([Buffer.from('xyz'), encodeEntry(h, payload)]);
        const r = decodeEntry(buf, 3);
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        const { payload: p, bytes, ...rest } = r.entry;
        expect(rest).toEqual(h);
        expect(p.equals(payload)).toBe(true);
        expect(bytes).toBe(27 + payload.length);
      }
    }
  });

  it('decodes an empty payload', () => {
    const r = decodeEntry(encodeEntry(header, Buffer.alloc(0)), 0);
    expect(r.ok && r.entry.payload.length).toBe(0);
  });

  const good = encodeEntry(header, payload);
  const flip = (at: number) => {
    const b = Buffer.from(good);
    b[at] = b[at]! ^ 0x01;
    return b;
  };
  const withLength = (n: number) => {
    const b = Buffer.from(good);
    b.writeUInt32BE(n, 1);
    return b;
  };
  const withField = (at: number, value: number) => {
    // A well-formed entry (valid CRC) whose field is out of range: what a newer writer might produce.
    const fixed = encodeEntry(header, payload);
    fixed[at] = value;
    const crc = crc32(fixed.subarray(9), crc32(fixed.subarray(0, 5)));
    fixed.writeUInt32BE(crc, 5);
    return fixed;
  };
  it.each([
    ['empty', Buffer.alloc(0), { ok: false, reason: 'short' }],
    ['prefix cut', good.subarray(0, 8), { ok: false, reason: 'short' }],
    ['payload cut', good.subarray(0, good.length - 1), { ok: false, reason: 'short', bytes: good.length }],
    ['zeros', Buffer.alloc(64), { ok: false, reason: 'magic' }],
    ['bad magic', flip(0), { ok: false, reason: 'magic' }],
    ['length below header', withLength(17), { ok: false, reason: 'length' }],
    ['length flipped', flip(4), { ok: false, reason: 'short', bytes: good.length + 1 }],
    ['crc flipped', flip(5), { ok: false, reason: 'crc', bytes: good.length }],
    ['criticality flipped', flip(9), { ok: false, reason: 'crc', bytes: good.length }],
    ['id flipped', flip(17), { ok: false, reason: 'crc', bytes: good.length }],
    ['payload flipped', flip(good.length - 1), { ok: false, reason: 'crc', bytes: good.length }],
    ['unknown criticality', withField(9, 7), { ok: false, reason: 'header', bytes: good.length }],
    ['unknown encoding', withField(26, 9), { ok: false, reason: 'header', bytes: good.length }],
  ])('%s => %j', (_name, buf, expected) => {
    expect(decodeEntry(buf, 0)).toEqual(expected);
  });
});
