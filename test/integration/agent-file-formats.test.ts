/**
 * File and kubernetes inputs on real files, through the same parsers the agent builds
 * from its config (agent/inputs/line-formats.ts): text / auto / JSON mixed in one file,
 * Java, Python and Node traces (real ones, test/fixtures/traces) joined across rotation,
 * at the end of a file and across a restart, and Kubernetes container logs in the CRI and
 * Docker json-file formats with partial lines and kubelet-style rotation. Every line
 * exactly once.
 */
import { appendFileSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FileTailInput } from '../../agent/inputs/file-tail.ts';
import { inputParsers } from '../../agent/inputs/line-formats.ts';
import type { Rejection } from '../../agent/parse/output.ts';
import { makeStamp } from '../../agent/parse/record.ts';
import { agentInputSchema } from '../../config/agent.ts';
import { waitFor } from './helpers/kafka.ts';
import { scratch } from './helpers/scratch.ts';

const stamp = makeStamp('host-1', { region: 'r', zone: 'z', cluster: 'c', appId: 'a' });
const silent = pino({ level: 'silent' });
const fixtures = join(import.meta.dirname, '../fixtures/traces');
const trace = (f: string) => readFileSync(join(fixtures, f), 'utf8');

const inputs: FileTailInput[] = [];
afterEach(async () => {
  for (const i of inputs.splice(0)) await i.close();
});
const { tempDir } = scratch('spw-formats-');

type Rec = Record<string, unknown> & { msg: string; level: string; logId: string; time: number };

/** A file or kubernetes input as the agent builds it from its config section. */
function tail(dir: string, section: Record<string, unknown>, include: string[]) {
  const got: (Rec & { source: string })[] = [];
  const rejected: Rejection[] = [];
  const input = agentInputSchema.parse({ include, startAt: 'beginning', ...section });
  if (input.type !== 'file' && input.type !== 'kubernetes') throw new Error('file or kubernetes');
  const parsers = inputParsers(input, stamp, silent);
  const make = () =>
    new FileTailInput({
      include,
      startAt: 'beginning',
      checkpointFile: join(dir, 'state', 'tail.json'),
      pollMs: 20,
      rotateWaitMs: 200,
      checkpointIntervalMs: 20,
      stamp,
      log: silent,
      parserFor: parsers.file,
      onLines: async (ls, source) => {
        await sleep(2);
        for (const l of ls) got.push({ ...(JSON.parse(l.bytes.toString()) as Rec), source });
      },
      onReject: (r) => rejected.push(r),
    });
  let current = make();
  inputs.push(current);
  return {
    got,
    rejected,
    get input() {
      return current;
    },
    /** Closes the input (checkpoint written) and starts a new one on the same checkpoint. */
    async restart() {
      await current.close();
      current = make();
      inputs.push(current);
      await current.start();
    },
  };
}

const firstLines = (got: Rec[]) => got.map((r) => r.msg.split('\n')[0]);
const lineCounts = (got: Rec[]) => got.map((r) => r.msg.split('\n').length);

describe('file input formats', () => {
  it('text, auto and JSON lines of one file: timestamps and levels taken exactly', async () => {
    const dir = tempDir();
    const file = join(dir, 'mixed.log');
    writeFileSync(
      file,
      [
        '2026-11-30T13:28:53.696Z report step 0 done',
        '{"time":1764509333000,"level":"warn","msg":"json line","seq":1}',
        '2026-11-30 13:28:53,697 ERROR python says no',
        'Nov 30 13:28:53 host cron[42]: WARN job late',
        '1764509333.5 DEBUG epoch seconds',
        '{"level":30,"msg":"pino number level"}',
        '{oops not json} FATAL still a line',
        '',
      ].join('\n'),
    );
    const t = tail(dir, { type: 'file', defaultLogId: 'reports' }, [join(dir, '*.log')]);
    await t.input.start();
    await waitFor('7 records', () => t.got.length >= 7);
    const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) =>
      new Date(y, mo - 1, d, h, mi, s, ms).getTime();
    expect(t.got.map((r) => ({ time: r.time, level: r.level, logId: r.logId, msg: r.msg }))).toEqual([
      {
        time: Date.UTC(2026, 10, 30, 13, 28, 53, 696),
        level: 'info',
        logId: 'reports',
        msg: '2026-11-30T13:28:53.696Z report step 0 done',
      },
      { time: 1764509333000, level: 'warn', logId: 'reports', msg: 'json line' },
      {
        time: local(2026, 11, 30, 13, 28, 53, 697),
        level: 'error',
        logId: 'reports',
        msg: '2026-11-30 13:28:53,697 ERROR python says no',
      },
      {
        time: local(2026, 11, 30, 13, 28, 53),
        level: 'warn',
        logId: 'reports',
        msg: 'Nov 30 13:28:53 host cron[42]: WARN job late',
      },
      { time: 1764509333500, level: 'debug', logId: 'reports', msg: '1764509333.5 DEBUG epoch seconds' },
      { time: expect.any(Number), level: 30 as unknown as string, logId: 'reports', msg: 'pino number level' },
      { time: expect.any(Number), level: 'fatal', logId: 'reports', msg: '{oops not json} FATAL still a line' },
    ]);
    expect(t.rejected).toEqual([]);
  });

  it('format: json refuses the text lines, each with its reason; logIdFromPath names the logId', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'billing'));
    const file = join(dir, 'billing', 'app.log');
    writeFileSync(file, 'plain text\n{"msg":"ok"}\n[1]\n');
    const t = tail(dir, { type: 'file', format: 'json', logIdFromPath: join(dir, '{logId}', '*.log') }, [
      join(dir, '*', '*.log'),
    ]);
    await t.input.start();
    await waitFor('1 record and 2 rejections', () => t.got.length >= 1 && t.rejected.length >= 2);
    expect(t.got.map((r) => [r.logId, r.msg])).toEqual([['billing', 'ok']]);
    expect(t.rejected.map((r) => [r.kind, r.reason, r.offset, r.span])).toEqual([
      ['invalid-json', 'not valid JSON: Unexpected token \'p\', "plain text" is not valid JSON', 0, 11],
      ['not-object', 'expected a JSON object, found an array', 24, 4],
    ]);
  });

  it('Java, Python and Node traces in one file: one record each, also across rotation and at the end of a file', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    const t = tail(dir, { type: 'file', defaultLogId: 'app', multiline: { preset: 'stacktrace', timeoutMs: 300 } }, [
      join(dir, '*.log'),
    ]);
    await t.input.start();
    // Written in pieces, as a service writes them; a trace is never cut by a read.
    const java = trace('java.log');
    const cut = java.indexOf('\tat ', java.indexOf('ERROR startup aborted'));
    appendFileSync(file, java.slice(0, cut));
    await sleep(60);
    appendFileSync(file, java.slice(cut));
    appendFileSync(file, trace('python.log'));
    // Node's trace is the file's last record when it rotates: the rotated file's end closes it.
    const node = trace('node.log');
    appendFileSync(file, node.slice(0, node.indexOf('2026-11-30T13:28:53.700Z')));
    await waitFor('the java and python records', () => t.got.length >= 5 + 4 + 3);
    renameSync(file, join(dir, 'app.log.1'));
    appendFileSync(file, node.slice(node.indexOf('2026-11-30T13:28:53.700Z')));
    // The last record of the new file has no next line: the timeout sends it.
    appendFileSync(file, '2026-11-30T13:28:54.000Z ERROR last words\nError: at the end\n    at main (/app/x.js:1:1)\n');
    await waitFor('all 15 records', () => t.got.length >= 15);
    await sleep(400);
    expect(t.got.length).toBe(15);
    // The rotated file's last record leaves when that file is drained (rotateWaitMs after its
    // last growth), so it may come after the new file's first: compare as a set, exactly.
    const want: string[] = [];
    const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8')) as Record<
      string,
      { lines: number }[]
    >;
    for (const f of ['java.log', 'python.log', 'node.log']) {
      const fileLines = trace(f).replace(/\n$/, '').split('\n');
      let at = 0;
      for (const r of expected[f]!) {
        want.push(fileLines.slice(at, at + r.lines).join('\n'));
        at += r.lines;
      }
    }
    want.push('2026-11-30T13:28:54.000Z ERROR last words\nError: at the end\n    at main (/app/x.js:1:1)');
    expect(t.got.map((r) => r.msg).sort()).toEqual(want.sort());
    expect(lineCounts(t.got).reduce((a, b) => a + b, 0)).toBe(26 + 21 + 32 + 3);
    expect(t.got.filter((r) => r.level === 'error').map((r) => firstLines([r])[0])).toEqual(
      expect.arrayContaining([
        '2026-11-30T13:28:53.697Z ERROR startup aborted',
        '2026-11-30T13:28:54.000Z ERROR last words',
      ]),
    );
    expect(t.got.filter((r) => r.level === 'error').length).toBe(6);
    expect(t.got.filter((r) => r.level === 'warn').length).toBe(2);
    expect(t.rejected).toEqual([]);
  });

  it('a trace held open when the agent stops is read again after the restart, whole and once', async () => {
    const dir = tempDir();
    const file = join(dir, 'app.log');
    const t = tail(dir, { type: 'file', defaultLogId: 'app', multiline: { preset: 'stacktrace', timeoutMs: 2_000 } }, [
      join(dir, '*.log'),
    ]);
    await t.input.start();
    appendFileSync(file, 'INFO before\nERROR held\nError: boom\n    at f (x.js:1:1)\n');
    await waitFor('the first record', () => t.got.length >= 1);
    await sleep(100);
    expect(t.got.length).toBe(1);
    // Closing sends nothing held: the checkpoint stops where the held record starts.
    // (The last line waits for the 2 s timeout: no line follows it.)
    await t.restart();
    appendFileSync(file, 'INFO after\n');
    await waitFor('3 records', () => t.got.length >= 3);
    await sleep(100);
    expect(t.got.map((r) => r.msg)).toEqual([
      'INFO before',
      'ERROR held\nError: boom\n    at f (x.js:1:1)',
      'INFO after',
    ]);
  });
});

describe('kubernetes input', () => {
  const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
  const T = (ms: number) => new Date(Date.UTC(2026, 10, 30, 13, 28, 53, ms)).toISOString().replace('Z', '123456Z');

  it('CRI lines with partial lines, across kubelet-style rotation: every line once, with pod metadata', async () => {
    const dir = tempDir();
    const podDir = join(dir, 'pods', 'shop_checkout-7d9f8b6c5-x2x9p_uid', 'api');
    mkdirSync(podDir, { recursive: true });
    mkdirSync(join(dir, 'containers'));
    const log0 = join(podDir, '0.log');
    writeFileSync(log0, '');
    symlinkSync(log0, join(dir, 'containers', `checkout-7d9f8b6c5-x2x9p_shop_api-${ID}.log`));
    const t = tail(dir, { type: 'kubernetes', multiline: 'stacktrace' }, [join(dir, 'containers', '*.log')]);
    await t.input.start();
    const cri = (ms: number, stream: string, tag: string, msg: string) => `${T(ms)} ${stream} ${tag} ${msg}\n`;
    let n = 0;
    for (; n < 300; n++) {
      if (n % 50 === 7) {
        // A long line split by the runtime, with stderr interleaved between its parts.
        appendFileSync(
          log0,
          cri(n, 'stdout', 'P', `{"seq":${n},"msg":"long `) +
            cri(n, 'stderr', 'F', `WARN side ${n}`) +
            cri(n, 'stdout', 'P', 'x'.repeat(100)) +
            cri(n, 'stdout', 'F', '"}'),
        );
      } else {
        appendFileSync(log0, cri(n, 'stdout', 'F', `{"seq":${n},"msg":"line ${n}"}`));
      }
      if (n === 150) {
        // kubelet rotates: 0.log is renamed and the runtime reopens a new 0.log.
        await waitFor('the first half', () => t.got.length >= 140);
        renameSync(log0, `${log0}.20261130-132853`);
        writeFileSync(log0, '');
      }
    }
    appendFileSync(
      log0,
      cri(999, 'stderr', 'F', 'ERROR crashed') +
        cri(999, 'stderr', 'F', 'Error: boom') +
        cri(999, 'stderr', 'F', '    at main (/app/x.js:1:1)') +
        cri(1000, 'stdout', 'F', 'INFO restarted'),
    );
    await waitFor('all records', () => t.got.filter((r) => r.seq !== undefined).length >= 300 && t.got.length >= 308);
    await sleep(300);
    const json = t.got.filter((r) => r.seq !== undefined);
    expect(json.map((r) => r.seq).sort((a, b) => (a as number) - (b as number))).toEqual(
      Array.from({ length: 300 }, (_, i) => i),
    );
    expect(t.got.length).toBe(300 + 6 + 2);
    expect(json.find((r) => r.seq === 57)).toEqual({
      seq: 57,
      msg: `long ${'x'.repeat(100)}`,
      time: Date.UTC(2026, 10, 30, 13, 28, 53, 57),
      level: 'info',
      logId: 'shop-api',
      host: 'host-1',
      origin: { region: 'r', zone: 'z', cluster: 'c', appId: 'a' },
      kubernetes: { namespace: 'shop', pod: 'checkout-7d9f8b6c5-x2x9p', container: 'api', containerId: ID },
      stream: 'stdout',
      source: join(dir, 'containers', `checkout-7d9f8b6c5-x2x9p_shop_api-${ID}.log`),
    });
    const text = t.got.filter((r) => r.seq === undefined).map((r) => [r.stream, r.level, r.msg]);
    expect(text).toEqual([
      ...[7, 57, 107, 157, 207, 257].map((i) => ['stderr', 'warn', `WARN side ${i}`]),
      ['stderr', 'error', 'ERROR crashed\nError: boom\n    at main (/app/x.js:1:1)'],
      ['stdout', 'info', 'INFO restarted'],
    ]);
    expect(t.input.stats.rotations).toBe(1);
    expect(t.rejected).toEqual([]);
  });

  it('Docker json-file lines, a 16 KiB split and a bad line refused by reason', async () => {
    const dir = tempDir();
    const file = join(dir, `web-1_default_nginx-${ID}.log`);
    const d = (log: string, stream = 'stdout', ms = 1) => `${JSON.stringify({ log, stream, time: T(ms) })}\n`;
    writeFileSync(
      file,
      d('GET / 200\n') +
        d('a'.repeat(16_384)) +
        d(`${'b'.repeat(10)}\n`) +
        'garbage that is no container log\n' +
        d('[error] upstream timed out\n', 'stderr', 5),
    );
    const t = tail(dir, { type: 'kubernetes', logId: 'k8s-{namespace}-{pod}' }, [join(dir, '*.log')]);
    await t.input.start();
    await waitFor('3 records and 1 rejection', () => t.got.length >= 3 && t.rejected.length >= 1);
    expect(t.got.map((r) => [r.logId, r.stream, r.level, r.msg.length, r.time])).toEqual([
      ['k8s-default-web-1', 'stdout', 'info', 9, Date.UTC(2026, 10, 30, 13, 28, 53, 1)],
      ['k8s-default-web-1', 'stdout', 'info', 16_394, Date.UTC(2026, 10, 30, 13, 28, 53, 1)],
      ['k8s-default-web-1', 'stderr', 'info', 26, Date.UTC(2026, 10, 30, 13, 28, 53, 5)],
    ]);
    expect(t.got[0]!.kubernetes).toEqual({ namespace: 'default', pod: 'web-1', container: 'nginx', containerId: ID });
    expect(t.rejected.map((r) => [r.kind, r.reason])).toEqual([
      ['bad-container-log', expect.stringMatching(/^CRI time: expected an RFC 3339 date-time/)],
    ]);
  });
});
