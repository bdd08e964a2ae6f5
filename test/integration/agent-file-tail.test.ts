/**
 * The file tail input against real files in temp directories (no Kafka needed): appends,
 * rename rotation, copy-truncate, partial lines, restart from the checkpoint, new files,
 * back-pressure. `onLines` collects after a short async delay, like a shipper would.
 */
import { appendFileSync, closeSync, openSync, renameSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../../agent/inputs/file-checkpoint.ts';
import { FileTailInput, type FileTailOptions } from '../../agent/inputs/file-tail.ts';
import type { Rejection } from '../../agent/parse/output.ts';
import { makeStamp } from '../../agent/parse/record.ts';
import { waitFor } from './helpers/kafka.ts';
import { scratch } from './helpers/scratch.ts';

const stamp = makeStamp('host-1', { region: 'r', zone: 'z', cluster: 'c', appId: 'a' });
const silent = pino({ level: 'silent' });

const line = (seq: number, extra = '') => `{"seq":${seq},"msg":"line ${seq}${extra}"}\n`;
const lines = (from: number, to: number) => {
  let s = '';
  for (let i = from; i < to; i++) s += line(i);
  return s;
};
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Checks `seqs` is exactly from..to-1 once each, in any order. */
const sorted = (seqs: number[]) => [...seqs].sort((a, b) => a - b);

interface Got {
  seq: number;
  source: string;
  msg: string;
}

const inputs: FileTailInput[] = [];
afterEach(async () => {
  for (const i of inputs.splice(0)) await i.close();
});
const { tempDir } = scratch('spw-tail-');

function tail(dir: string, options: Partial<FileTailOptions> & { delayMs?: number } = {}) {
  const got: Got[] = [];
  const rejected: Rejection[] = [];
  const delayMs = options.delayMs ?? 5;
  const input = new FileTailInput({
    include: [join(dir, '*.log')],
    startAt: 'beginning',
    defaultLogId: 'files',
    checkpointFile: join(dir, 'state', 'file-tail.json'),
    pollMs: 20,
    rotateWaitMs: 200,
    checkpointIntervalMs: 50,
    stamp,
    log: silent,
    onLines: async (ls, source) => {
      await sleep(delayMs);
      for (const l of ls) {
        const o = JSON.parse(l.bytes.toString()) as { seq: number; msg: string };
        got.push({ seq: o.seq, source, msg: o.msg });
      }
    },
    onReject: (r) => rejected.push(r),
    ...options,
  });
  inputs.push(input);
  return { input, got, rejected, seqs: () => got.map((g) => g.seq) };
}

async function checkpointOf(dir: string) {
  const d = decodeCheckpoint(await readFile(join(dir, 'state', 'file-tail.json'), 'utf8'));
  if (!d.ok) throw new Error(d.problem);
  return d.files;
}

describe('file tail', () => {
  it('lines appended over time arrive complete and in order', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(0, 10));
    const t = tail(dir);
    await t.input.start();
    for (let i = 1; i < 20; i++) {
      appendFileSync(file, lines(i * 10, i * 10 + 10));
      await sleep(i % 3 === 0 ? 25 : 1);
    }
    appendFileSync(file, lines(200, 5200)); // ~130 KB in one write
    await waitFor('5200 lines', () => t.got.length >= 5200);
    await sleep(100);
    expect(t.seqs()).toEqual(range(0, 5200));
    expect(t.got[7]).toEqual({ seq: 7, source: file, msg: 'line 7' });
    expect(t.rejected).toEqual([]);
    await t.input.close();
    const size = Buffer.byteLength(lines(0, 5200));
    expect(await checkpointOf(dir)).toEqual([
      expect.objectContaining({ path: file, offset: size, fingerprint: expect.objectContaining({ bytes: 1024 }) }),
    ]);
    expect(t.input.stats).toMatchObject({ lines: 5200, rejected: 0, rotations: 0, truncations: 0, bytesRead: size });
  });

  it('rename rotation mid-stream loses nothing and duplicates nothing, and drains the old file', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    const t = tail(dir);
    await t.input.start();
    // The writer keeps its descriptor across the rename, as a service does until it reopens.
    let fd = openSync(file, 'a');
    for (let i = 0; i < 10; i++) {
      writeSync(fd, lines(i * 10, i * 10 + 10));
      await sleep(3);
    }
    renameSync(file, join(dir, 'app.log.1'));
    writeSync(fd, lines(100, 150)); // written to the rotated file before the writer reopens
    await sleep(50);
    writeSync(fd, lines(150, 160));
    closeSync(fd);
    fd = openSync(file, 'a');
    for (let i = 16; i < 30; i++) {
      writeSync(fd, lines(i * 10, i * 10 + 10));
      await sleep(3);
    }
    closeSync(fd);
    await waitFor('300 lines', () => t.got.length >= 300);
    await waitFor('the rotated file closed', () => t.input.stats.files === 1);
    await sleep(100);
    const seqs = t.seqs();
    expect(seqs.length).toBe(300);
    expect(sorted(seqs)).toEqual(range(0, 300));
    // Each file's lines arrive in that file's order.
    expect(seqs.filter((s) => s < 160)).toEqual(range(0, 160));
    expect(seqs.filter((s) => s >= 160)).toEqual(range(160, 300));
    expect(t.input.stats).toMatchObject({ rotations: 1, truncations: 0, lines: 300, files: 1 });
    await t.input.close();
    expect((await checkpointOf(dir)).map((c) => [c.path, c.offset])).toEqual([
      [file, Buffer.byteLength(lines(160, 300))],
    ]);
  });

  it("a rotated file's unterminated last line is delivered once the file is drained", async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, `${lines(0, 5)}{"seq":5,"msg":"last"}`);
    const t = tail(dir);
    await t.input.start();
    await waitFor('5 lines', () => t.got.length >= 5);
    await sleep(100);
    expect(t.seqs()).toEqual(range(0, 5));
    renameSync(file, join(dir, 'app.log.1'));
    writeFileSync(file, lines(6, 8));
    await waitFor('8 lines', () => t.got.length >= 8);
    await waitFor('the rotated file closed', () => t.input.stats.files === 1);
    expect(sorted(t.seqs())).toEqual(range(0, 8));
    expect(t.got.find((g) => g.seq === 5)?.msg).toBe('last');
  });

  it('copy-truncate: the file shrinks and is read again from 0', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    const t = tail(dir);
    await t.input.start();
    appendFileSync(file, lines(0, 50));
    await waitFor('50 lines', () => t.got.length >= 50);
    await sleep(60);
    // copy, then truncate in place; the writer (O_APPEND) goes on at the new end.
    writeFileSync(join(dir, 'app.log.1'), await readFile(file));
    truncateSync(file, 0);
    await sleep(60);
    appendFileSync(file, lines(50, 60));
    await waitFor('60 lines', () => t.got.length >= 60);
    await sleep(100);
    expect(t.seqs()).toEqual(range(0, 60));
    expect(t.input.stats.truncations).toBe(1);
    await t.input.close();
    expect((await checkpointOf(dir)).map((c) => c.offset)).toEqual([Buffer.byteLength(lines(50, 60))]);
  });

  it('copy-truncate overtaken by new writes before a poll is detected by the first bytes', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    const t = tail(dir);
    await t.input.start();
    appendFileSync(file, lines(0, 10));
    await waitFor('10 lines', () => t.got.length >= 10);
    await sleep(60);
    // Synchronous: no poll can run between the truncate and the larger rewrite.
    truncateSync(file, 0);
    appendFileSync(file, lines(10, 60));
    await waitFor('60 lines', () => t.got.length >= 60);
    await sleep(100);
    expect(t.seqs()).toEqual(range(0, 60));
    expect(t.input.stats.truncations).toBe(1);
  });

  it('a partial last line is held until it is completed', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, `${line(0)}{"seq":1,"msg":"ha`);
    const t = tail(dir);
    await t.input.start();
    await waitFor('1 line', () => t.got.length >= 1);
    await sleep(150); // several polls
    expect(t.seqs()).toEqual([0]);
    await t.input.close();
    // The checkpoint stops before the partial line, so a restart reads it whole.
    expect((await checkpointOf(dir)).map((c) => c.offset)).toEqual([Buffer.byteLength(line(0))]);

    const t2 = tail(dir);
    await t2.input.start();
    await sleep(100);
    expect(t2.got).toEqual([]);
    appendFileSync(file, `lf"}\n${line(2)}`);
    await waitFor('2 lines', () => t2.got.length >= 2);
    await sleep(100);
    expect(t2.got).toEqual([
      { seq: 1, source: file, msg: 'half' },
      { seq: 2, source: file, msg: 'line 2' },
    ]);
    expect([...t.rejected, ...t2.rejected]).toEqual([]);
  });

  it('stop and restart resumes from the checkpoint: nothing settled again, nothing lost', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(0, 2000));
    const a = tail(dir, { delayMs: 20, readChunkBytes: 1024, maxAheadBytes: 2048 });
    await a.input.start();
    await waitFor('some lines', () => a.got.length >= 100);
    await a.input.close();
    const n = a.got.length;
    expect(n).toBeGreaterThanOrEqual(100);
    expect(n).toBeLessThan(2000);
    expect(a.seqs()).toEqual(range(0, n));
    expect((await checkpointOf(dir)).map((c) => c.offset)).toEqual([Buffer.byteLength(lines(0, n))]);

    appendFileSync(file, lines(2000, 2100));
    const b = tail(dir);
    await b.input.start();
    await waitFor('the rest', () => b.got.length >= 2100 - n);
    await sleep(100);
    expect(b.seqs()).toEqual(range(n, 2100));
    await b.input.close();
    expect((await checkpointOf(dir)).map((c) => c.offset)).toEqual([Buffer.byteLength(lines(0, 2100))]);
  });

  it('startAt end skips what was there (after the last complete line); new matching files are read from 0', async () => {
    const dir = tempDir();
    const old = join(dir, 'old.log');
    writeFileSync(old, `${lines(0, 10)}{"seq":10,"msg":"being wri`);
    writeFileSync(join(dir, 'skip-me.log'), lines(900, 905));
    const t = tail(dir, { startAt: 'end', exclude: [join(dir, 'skip-*.log')] });
    await t.input.start();
    appendFileSync(old, `tten"}\n${lines(11, 20)}`);
    await waitFor('10 lines', () => t.got.length >= 10);
    const fresh = join(dir, 'fresh.log');
    writeFileSync(fresh, lines(100, 110));
    await waitFor('20 lines', () => t.got.length >= 20);
    appendFileSync(join(dir, 'skip-me.log'), lines(905, 910));
    await sleep(150);
    expect(t.got.filter((g) => g.source === old).map((g) => g.seq)).toEqual(range(10, 20));
    expect(t.got.find((g) => g.seq === 10)?.msg).toBe('being written');
    expect(t.got.filter((g) => g.source === fresh).map((g) => g.seq)).toEqual(range(100, 110));
    expect(t.got.length).toBe(20);
    expect(t.input.stats.files).toBe(2);
  });

  it('rejected lines are reported and count as settled', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, `${line(0)}not json\n${line(1)}{"seq":2,"logId":"bad id!"}\n`);
    const t = tail(dir);
    await t.input.start();
    await waitFor('2 lines', () => t.got.length >= 2);
    await sleep(100);
    expect(t.seqs()).toEqual([0, 1]);
    expect(t.rejected.map((r) => [r.kind, r.offset])).toEqual([
      ['invalid-json', Buffer.byteLength(line(0))],
      ['bad-log-id', Buffer.byteLength(`${line(0)}not json\n${line(1)}`)],
    ]);
    await t.input.close();
    expect((await checkpointOf(dir)).map((c) => c.offset)).toEqual([(await readFile(file)).length]);
  });

  it('a failing onLines is retried: every line arrives exactly once', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'app.log'), lines(0, 30));
    const got: number[] = [];
    let failures = 2;
    const t = tail(dir, {
      onLines: async (ls) => {
        await sleep(2);
        if (failures > 0) {
          failures--;
          throw new Error('router away');
        }
        for (const l of ls) got.push((JSON.parse(l.bytes.toString()) as { seq: number }).seq);
      },
    });
    await t.input.start();
    await waitFor('30 lines', () => got.length >= 30);
    await sleep(100);
    expect(got).toEqual(range(0, 30));
    expect(t.input.stats.deliveryFailures).toBe(2);
  });

  it('a slow consumer backs up into the file: reads stay within maxAheadBytes of what is settled', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    writeFileSync(file, lines(0, 4000)); // ~100 KB
    let open!: () => void;
    let gate = new Promise<void>((r) => {
      open = r;
    });
    const got: number[] = [];
    const t = tail(dir, {
      maxAheadBytes: 4096,
      readChunkBytes: 1024,
      onLines: async (ls) => {
        await gate;
        for (const l of ls) got.push((JSON.parse(l.bytes.toString()) as { seq: number }).seq);
      },
    });
    await t.input.start();
    await sleep(200);
    const [p] = t.input.positions();
    expect(p!.settled).toBe(0);
    // Reading stops once maxAheadBytes of parsed lines await settling: the last read began
    // below that, after at most a partial line, and took at most one chunk.
    expect(p!.read).toBeGreaterThanOrEqual(4096);
    expect(p!.read).toBeLessThanOrEqual(4096 + Buffer.byteLength(line(3999)) + 1024);
    expect(got).toEqual([]);
    open();
    gate = Promise.resolve();
    await waitFor('4000 lines', () => got.length >= 4000);
    expect(got).toEqual(range(0, 4000));
  });
});
