import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  type FileCheckpoint,
  fileKey,
  readCheckpointFile,
  writeCheckpointFile,
} from '../../../../agent/inputs/file-checkpoint.ts';

const a: FileCheckpoint = {
  dev: '2049',
  ino: '18446744073709551615',
  offset: 4096,
  path: '/var/log/app/a.log',
  fingerprint: { bytes: 1024, crc: 4_294_967_295 },
};
const b: FileCheckpoint = { dev: '64768', ino: '7', offset: 0, path: '/tmp/b.log', fingerprint: { bytes: 0, crc: 0 } };

describe('file checkpoint encoding', () => {
  it('round-trips, keeping 64-bit inode numbers exact', () => {
    const text = encodeCheckpoint([a, b]);
    expect(JSON.parse(text)).toEqual({ version: 1, files: [a, b] });
    expect(decodeCheckpoint(text)).toEqual({ ok: true, files: [a, b] });
  });

  it('round-trips an empty checkpoint', () => {
    expect(decodeCheckpoint(encodeCheckpoint([]))).toEqual({ ok: true, files: [] });
  });

  it('keys files by dev and ino', () => {
    expect(fileKey(2049n, 18446744073709551615n)).toBe('2049:18446744073709551615');
    expect(fileKey('1', '2')).toBe('1:2');
  });

  const entryProblem =
    'files[0]: expected { dev, ino: decimal strings, offset: integer >= 0, path: string, fingerprint: { bytes: 0..1024, crc: uint32 } }';
  it.each([
    ['not JSON', '{', /^not JSON \(/],
    ['an array', '[]', /^expected a JSON object$/],
    ['a newer version', '{"version":2,"files":[]}', /^expected version 1, found 2$/],
    ['no files', '{"version":1}', /^files: expected an array$/],
    ['ino as a number', JSON.stringify({ version: 1, files: [{ ...a, ino: 7 }] }), entryProblem],
    ['negative offset', JSON.stringify({ version: 1, files: [{ ...a, offset: -1 }] }), entryProblem],
    ['fractional offset', JSON.stringify({ version: 1, files: [{ ...a, offset: 1.5 }] }), entryProblem],
    [
      'fingerprint too long',
      JSON.stringify({ version: 1, files: [{ ...a, fingerprint: { bytes: 1025, crc: 0 } }] }),
      entryProblem,
    ],
    [
      'crc above uint32',
      JSON.stringify({ version: 1, files: [{ ...a, fingerprint: { bytes: 1, crc: 2 ** 32 } }] }),
      entryProblem,
    ],
    ['no fingerprint', JSON.stringify({ version: 1, files: [{ ...a, fingerprint: undefined }] }), entryProblem],
    ['entry not an object', '{"version":1,"files":[null]}', entryProblem],
  ])('rejects %s', (_name, text, problem) => {
    const d = decodeCheckpoint(text);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.problem).toMatch(problem);
  });
});

describe('file checkpoint on disk', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'spw-fcp-'));
    dirs.push(d);
    return d;
  };

  it('a missing file is an empty checkpoint', async () => {
    const d = await tempDir();
    expect(await readCheckpointFile(join(d, 'none.json'))).toEqual({ ok: true, files: [] });
  });

  it('writes atomically (no temp file left) and reads back', async () => {
    const d = await tempDir();
    const file = join(d, 'cp.json');
    await writeCheckpointFile(file, [a]);
    await writeCheckpointFile(file, [a, b]);
    expect(await readdir(d)).toEqual(['cp.json']);
    expect(await readCheckpointFile(file)).toEqual({ ok: true, files: [a, b] });
    expect(await readFile(file, 'utf8')).toBe(encodeCheckpoint([a, b]));
  });

  it('reports a damaged file with its path', async () => {
    const d = await tempDir();
    const file = join(d, 'cp.json');
    await writeFile(file, '{"version":1,"fil');
    const r = await readCheckpointFile(file);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem.startsWith(`${file}: not JSON (`)).toBe(true);
  });
});
