/**
 * The agent's disk spool survives kill -9 (issue 4). A child process appends numbered
 * batches with fsync 'always' and prints each number once its append resolved; the test
 * kills it mid-stream with SIGKILL, reopens the spool, and checks that every reported
 * number replays, in order, with at most one torn entry. Three rounds, so recovery also
 * runs on a spool that was itself recovered. Needs no Kafka.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Spool } from '../../agent/spool/spool.ts';

/** Round r numbers its batches from r * ROUND_BASE, so rounds never share a number. */
const ROUND_BASE = 1_000_000;
const ROUNDS = 3;
/** Kill after this many reported appends, plus a random extra so the kill lands at varied points. */
const MIN_REPORTED = 150;
/** Small segments, so rounds cross segment rotations. */
const SEGMENT_BYTES = 1024 * 1024;
const MAX_BYTES = 1024 * 1024 * 1024;

let dir: string;
let spoolDir: string;
let childPath: string;

/** Batch n: its number, then a fill byte, 1-64 KiB long so writes take long enough to be cut. */
const CHILD_SOURCE = (spoolUrl: string) => `
import { Spool } from ${JSON.stringify(spoolUrl)};
const [directory, start] = process.argv.slice(2);
const spool = await Spool.open({ directory, maxBytes: ${MAX_BYTES}, fsync: 'always', segmentBytes: ${SEGMENT_BYTES} });
for (let n = Number(start); ; n++) {
  const batch = Buffer.alloc(1024 + ((n * 7919) % 64512), n % 251);
  batch.writeUInt32BE(n, 0);
  const r = await spool.append(batch, 'CRITICAL');
  if (!r.ok) {
    process.stderr.write('append refused: ' + r.reason + '\\n');
    process.exit(1);
  }
  process.stdout.write(n + '\\n');
}
`;

function expectedBatch(n: number): Buffer {
  const b = Buffer.alloc(1024 + ((n * 7919) % 64512), n % 251);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Runs the child until it reported at least `count` appends, then SIGKILLs it; returns what it reported. */
async function appendThenKill(start: number, count: number): Promise<number[]> {
  const child: ChildProcess = spawn(process.execPath, [childPath, spoolDir, String(start)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.on('exit', (code, signal) => res({ code, signal })),
  );
  await new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length - 1 >= count) {
        child.kill('SIGKILL');
        res();
      }
    });
    void exited.then(({ code }) => rej(new Error(`child exited (${code}) before the kill: ${err}`)));
  });
  // Read what the child wrote to the pipe before it died, too.
  const { signal } = await exited;
  expect(signal).toBe('SIGKILL');
  // Only complete lines count as reported: a number cut mid-line was not fully reported.
  const lines = out.split('\n');
  lines.pop();
  return lines.map(Number);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spw-it-spool-'));
  spoolDir = join(dir, 'spool');
  childPath = join(dir, 'child.ts');
  await writeFile(childPath, CHILD_SOURCE(pathToFileURL(resolve('agent/spool/spool.ts')).href));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('agent spool under kill -9', () => {
  it('replays every reported append in order; at most one torn entry per kill', async () => {
    const reported: number[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const extra = Math.floor(Math.random() * 100);
      const got = await appendThenKill(round * ROUND_BASE, MIN_REPORTED + extra);
      expect(got.length).toBeGreaterThanOrEqual(MIN_REPORTED);
      expect(got).toEqual(Array.from({ length: got.length }, (_, i) => round * ROUND_BASE + i));
      reported.push(got);
      // What the agent does on restart: open (recover), then carry on.
      const s = await Spool.open({
        directory: spoolDir,
        maxBytes: MAX_BYTES,
        fsync: 'always',
        segmentBytes: SEGMENT_BYTES,
      });
      const stats = s.stats();
      expect(stats.tornEntries).toBeLessThanOrEqual(1);
      expect(stats.corruptEntries).toBe(0);
      await s.close();
    }

    const s = await Spool.open({
      directory: spoolDir,
      maxBytes: MAX_BYTES,
      fsync: 'always',
      segmentBytes: SEGMENT_BYTES,
    });
    expect(s.stats()).toMatchObject({ tornEntries: 0, corruptEntries: 0 });
    expect(s.stats().segments).toBeGreaterThan(ROUNDS);
    const replayed: number[] = [];
    for (let e = await s.peek(); e !== undefined; e = await s.peek()) {
      const n = e.batch.readUInt32BE(0);
      expect(e.batch.equals(expectedBatch(n))).toBe(true);
      replayed.push(n);
      await s.ack(e.id);
    }
    await s.close();

    for (let round = 0; round < ROUNDS; round++) {
      const base = round * ROUND_BASE;
      const mine = replayed.filter((n) => n >= base && n < base + ROUND_BASE);
      const told = reported[round]!;
      // Every reported number, in order, and nothing skipped: an append may have completed
      // after the last number the child managed to print, never more than one.
      expect(mine.slice(0, told.length)).toEqual(told);
      expect(mine.length - told.length).toBeGreaterThanOrEqual(0);
      expect(mine.length - told.length).toBeLessThanOrEqual(1);
      expect(mine).toEqual(Array.from({ length: mine.length }, (_, i) => base + i));
    }
    // Rounds replay in the order they were appended.
    expect(replayed).toEqual([...replayed].sort((a, b) => a - b));
  });
});
