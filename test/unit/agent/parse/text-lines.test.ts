/**
 * Plain-text and mixed lines (line-judge.ts, timestamp.ts), multiline joining
 * (multiline.ts) with real Java / Python / Node traces (test/fixtures/traces, made by
 * running the real runtimes), logIds from paths, and the whole LineStream.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compileLevelPattern,
  DEFAULT_LEVEL_PATTERN,
  LineJudge,
  levelOfText,
} from '../../../../agent/parse/line-judge.ts';
import { LineStream } from '../../../../agent/parse/line-stream.ts';
import type { Message } from '../../../../agent/parse/message.ts';
import {
  MultilineJoiner,
  type MultilineOptions,
  patternRule,
  stacktraceRule,
} from '../../../../agent/parse/multiline.ts';
import { type AgentLine, isRejection, type Rejection } from '../../../../agent/parse/output.ts';
import { compilePathPattern } from '../../../../agent/parse/path-log-id.ts';
import { extraField, makeStamp } from '../../../../agent/parse/record.ts';
import { leadingTime } from '../../../../agent/parse/timestamp.ts';

const stamp = makeStamp('host-1', { region: 'r', zone: 'z', cluster: 'c', appId: 'a' });
const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const now = () => NOW;
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) =>
  new Date(y, mo - 1, d, h, mi, s, ms).getTime();
const fixtures = path.join(import.meta.dirname, '../../../fixtures/traces');

describe('leadingTime: the time a text line starts with', () => {
  it.each([
    ['2026-11-30T13:28:53.696Z INFO x', Date.UTC(2026, 10, 30, 13, 28, 53, 696)],
    ['2026-11-30T14:28:53.696+01:00 x', Date.UTC(2026, 10, 30, 13, 28, 53, 696)],
    ['2026-11-30T13:28:53.123456789Z x', Date.UTC(2026, 10, 30, 13, 28, 53, 123)],
    ['2026-11-30 13:28:53,696 ERROR x', local(2026, 11, 30, 13, 28, 53, 696)],
    ['2026-11-30 13:28:53.696+0100 x', Date.UTC(2026, 10, 30, 12, 28, 53, 696)],
    ['2026-11-30 13:28:53 UTC x', Date.UTC(2026, 10, 30, 13, 28, 53)],
    ['[2026-11-30T13:28:53Z] [ERROR] x', Date.UTC(2026, 10, 30, 13, 28, 53)],
    ['Nov 30 13:28:53 host app[1]: x', local(2026, 11, 30, 13, 28, 53)],
    ['Nov  3 01:02:03 x', local(2026, 11, 3, 1, 2, 3)],
    ['1764509333 x', 1_764_509_333_000],
    ['1764509333.25 x', 1_764_509_333_250],
    ['1764509333123 x', 1_764_509_333_123],
    ['  2026-11-30T13:28:53Z', Date.UTC(2026, 10, 30, 13, 28, 53)],
  ])('%j', (line, want) => {
    expect(leadingTime(line, NOW)).toBe(want);
  });

  it.each([
    'report step 0 done',
    '2026-02-30T13:28:53Z no such day',
    '2026-11-30T25:28:53Z no such hour',
    '12345 is a number, not a time',
    '2026-11-30T13:28:53Zsuffix',
    'Foo 30 13:28:53 not a month',
    '',
  ])('none in %j', (line) => {
    expect(leadingTime(line, NOW)).toBeUndefined();
  });
});

describe('levelOfText', () => {
  const re = compileLevelPattern(DEFAULT_LEVEL_PATTERN);
  it.each([
    ['2026-11-30T13:28:53Z ERROR boom', 'error'],
    ['2026-11-30 13:28:53,696 WARNING falling back', 'warn'],
    ['2026-11-30 13:28:53,696 CRITICAL disk gone', 'fatal'],
    ['[main] DEBUG cache warm', 'debug'],
    ['INFO an ERROR word later does not count', 'info'],
    ['no error found (lower case is text, not a level)', 'info'],
    ['ERRORS is not a word match', 'info'],
    ['TRACE enter', 'trace'],
    ['FATAL out of memory', 'fatal'],
  ])('%j -> %s', (line, want) => {
    expect(levelOfText(line, re, 'info')).toBe(want);
  });

  it('a custom pattern with a named group, through the same aliases', () => {
    const custom = compileLevelPattern('level=(?<level>\\w+)');
    expect(levelOfText('ts=1 level=warning msg=x', custom, 'info')).toBe('warn');
    expect(levelOfText('ts=1 level=nonsense msg=x', custom, 'debug')).toBe('debug');
    expect(levelOfText('ts=1 msg=x', custom, 'info')).toBe('info');
  });

  it('a pattern without a group, or broken, is refused by name', () => {
    expect(() => compileLevelPattern('ERROR|WARN')).toThrow(
      'levelPattern: expected a regular expression with a capturing group around the level word, found "ERROR|WARN"',
    );
    expect(() => compileLevelPattern('(ERROR')).toThrow(
      'levelPattern: expected a regular expression (Invalid regular expression: /(ERROR/: Unterminated group), found "(ERROR"',
    );
  });
});

describe('LineJudge: text and auto formats', () => {
  const text = new LineJudge({ stamp, format: 'text', defaultLogId: 'reports', now });
  const auto = new LineJudge({ stamp, format: 'auto', defaultLogId: 'reports', now });
  const json = new LineJudge({ stamp, format: 'json', defaultLogId: 'reports', now });
  const b = (s: string) => Buffer.from(s);
  const ok = (r: AgentLine | Rejection) => {
    if (isRejection(r)) throw new Error(`rejected: ${r.reason}`);
    return { logId: r.logId, level: r.level, record: JSON.parse(r.bytes.toString()) };
  };
  const origin = { region: 'r', zone: 'z', cluster: 'c', appId: 'a' };

  it('a text line: msg is the line, time and level from it, exact bytes', () => {
    const r = text.judge(b('2026-11-30T13:28:53.696Z report step 0 done'), 0, 45);
    expect(isRejection(r)).toBe(false);
    expect((r as AgentLine).bytes.toString()).toBe(
      `{"time":${Date.UTC(2026, 10, 30, 13, 28, 53, 696)},"level":"info","logId":"reports","msg":"2026-11-30T13:28:53.696Z report step 0 done","host":"host-1","origin":{"region":"r","zone":"z","cluster":"c","appId":"a"}}`,
    );
    expect({ offset: (r as AgentLine).offset, span: (r as AgentLine).span }).toEqual({ offset: 0, span: 45 });
  });

  it('no timestamp: the transport time, else the read time; trailing CR and spaces trimmed', () => {
    expect(ok(text.judge(b('ERROR disk full \r'), 0, 18)).record).toMatchObject({
      time: NOW,
      level: 'error',
      msg: 'ERROR disk full',
    });
    expect(ok(text.judge(b('plain'), 0, 6, { timeMs: 42 })).record.time).toBe(42);
  });

  it('text keeps bytes that are not UTF-8 as U+FFFD instead of dropping the line', () => {
    expect(ok(text.judge(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 0, 5)).record.msg).toBe('caf\ufffd');
  });

  it('a text line without a logId is rejected, naming what to set', () => {
    const r = new LineJudge({ stamp, format: 'text', now }).judge(b('hello'), 3, 6);
    expect(r).toEqual({
      kind: 'no-log-id',
      reason: "no logId: a text line needs the input's defaultLogId (or a logId taken from the file path)",
      offset: 3,
      span: 6,
    });
  });

  it('auto: a JSON object is JSON (bytes kept, stamped), anything else is text', () => {
    const j = auto.judge(b('{"level":"warn","msg":"json line","time":5}'), 0, 44);
    expect((j as AgentLine).bytes.toString()).toBe(
      '{"level":"warn","msg":"json line","time":5,"logId":"reports","host":"host-1","origin":{"region":"r","zone":"z","cluster":"c","appId":"a"}}',
    );
    expect(ok(auto.judge(b('{not json} ERROR x'), 0, 19)).record).toMatchObject({
      msg: '{not json} ERROR x',
      level: 'error',
    });
    expect(ok(auto.judge(b('[1,2,3] WARN arrays are text'), 0, 29)).record).toMatchObject({ level: 'warn', origin });
  });

  it('auto: a JSON object is still judged as JSON (a bad level is rejected, not made text)', () => {
    expect(auto.judge(b('{"level":"loud"}'), 0, 17)).toMatchObject({ kind: 'bad-level' });
  });

  it('json: text is rejected with the parser reason', () => {
    expect(json.judge(b('report step 0 done'), 0, 19)).toEqual({
      kind: 'invalid-json',
      reason: 'not valid JSON: Unexpected token \'r\', "report step 0 done" is not valid JSON',
      offset: 0,
      span: 19,
    });
  });

  it('extra fields (Kubernetes metadata) go on JSON and text records, never over a record field', () => {
    const k8s = [extraField('kubernetes', { namespace: 'shop', pod: 'p-1' })];
    const j = auto.withDefaults('shop-api', k8s);
    expect(ok(j.judge(b('INFO up'), 0, 8, { extra: [extraField('stream', 'stderr')] })).record).toMatchObject({
      logId: 'shop-api',
      kubernetes: { namespace: 'shop', pod: 'p-1' },
      stream: 'stderr',
    });
    const own = ok(j.judge(b('{"msg":"x","kubernetes":"mine","time":1}'), 0, 40, { timeMs: 7 })).record;
    expect(own).toEqual({
      msg: 'x',
      kubernetes: 'mine',
      time: 1,
      level: 'info',
      logId: 'shop-api',
      host: 'host-1',
      origin,
    });
    expect(ok(j.judge(b('{"msg":"y"}'), 0, 12, { timeMs: 7 })).record.time).toBe(7);
  });
});

/** A LineStream (auto format, logId "app") that collects each record's msg, level, offset and span. */
function stream(multiline?: () => MultilineOptions) {
  const records: { msg: string; level: string; offset: number; span: number }[] = [];
  const rejected: Rejection[] = [];
  const judge = new LineJudge({ stamp, format: 'auto', defaultLogId: 'app', now });
  const s = new LineStream(
    { judge, multiline, now },
    {
      accept: (l) => {
        const o = JSON.parse(l.bytes.toString());
        records.push({ msg: o.msg, level: o.level, offset: l.offset, span: l.span });
      },
      reject: (r) => rejected.push(r),
    },
  );
  return { s, records, rejected };
}

const stacktrace = (): MultilineOptions => ({
  rule: stacktraceRule(now),
  maxLines: 500,
  maxBytes: 1_048_576,
  timeoutMs: 1_000,
});

describe('multiline stacktrace preset on real traces', () => {
  const expected = JSON.parse(readFileSync(path.join(fixtures, 'expected.json'), 'utf8')) as Record<
    string,
    { first: string; lines: number; level: string }[]
  >;
  it.each(Object.keys(expected))('%s: each trace is one record with its line, exact line counts', (file) => {
    const data = readFileSync(path.join(fixtures, file));
    const { s, records, rejected } = stream(stacktrace);
    s.push(data);
    s.end();
    expect(rejected).toEqual([]);
    expect(
      records.map((r) => ({ first: r.msg.split('\n')[0], lines: r.msg.split('\n').length, level: r.level })),
    ).toEqual(expected[file]);
    // Every byte is accounted for: the records cover the file end to end.
    expect(records.reduce((n, r) => n + r.span, 0) + s.stats.skippedBytes).toBe(data.length);
    // The joined message is the lines as written, newlines between them.
    expect(records.map((r) => r.msg).join('\n')).toBe(data.toString().replace(/\n$/, ''));
  });

  it('all three runtimes in one file, in any order', () => {
    const parts = ['node.log', 'java.log', 'python.log'].map((f) => readFileSync(path.join(fixtures, f)));
    const data = Buffer.concat(parts);
    const { s, records } = stream(stacktrace);
    s.push(data);
    s.end();
    expect(records.length).toBe(5 + 5 + 4);
    expect(records.map((r) => r.msg.split('\n').length)).toEqual([1, 19, 1, 10, 1, 1, 19, 1, 4, 1, 1, 18, 1, 1]);
  });

  it('a trace at the end waits for its next line, then leaves by the timeout', () => {
    const data = readFileSync(path.join(fixtures, 'java.log')).toString().split('\n');
    // Up to the end of the second record's trace: its end is not known yet.
    const head = `${data.slice(0, 20).join('\n')}\n`;
    const { s, records } = stream(stacktrace);
    s.push(Buffer.from(head));
    expect(records.length).toBe(1);
    expect(s.heldFrom).toBe(head.indexOf('2026-11-30T13:28:53.697Z'));
    s.tick(NOW + 999);
    expect(records.length).toBe(1);
    s.tick(NOW + 1_000);
    expect(records.length).toBe(2);
    expect(records[1]!.msg.split('\n').length).toBe(19);
    expect(s.heldFrom).toBeUndefined();
  });

  it('JSON lines are never joined to a trace; a line with a timestamp starts a record', () => {
    const data = 'ERROR x\n  at a\n{"msg":"json"}\n  orphan frame\n2026-11-30T00:00:00Z INFO y\n  at b\n';
    const { s, records } = stream(stacktrace);
    s.push(Buffer.from(data));
    s.end();
    expect(records.map((r) => r.msg)).toEqual([
      'ERROR x\n  at a',
      'json',
      '  orphan frame',
      '2026-11-30T00:00:00Z INFO y\n  at b',
    ]);
  });

  it('blank lines not followed by a joining line are skipped, not kept in the record', () => {
    const { s, records } = stream(stacktrace);
    s.push(Buffer.from('ERROR x\n  at a\n\n\nINFO next\n'));
    s.end();
    expect(records.map((r) => r.msg)).toEqual(['ERROR x\n  at a', 'INFO next']);
    expect(s.stats.skippedBytes).toBe(2);
  });
});

describe('multiline: Filebeat-style pattern, negate, match, limits', () => {
  const collect = (o: Omit<MultilineOptions, 'maxLines' | 'maxBytes' | 'timeoutMs'> & Partial<MultilineOptions>) => {
    const out: Message[] = [];
    const blanks: number[] = [];
    const j = new MultilineJoiner(
      { maxLines: 500, maxBytes: 1 << 20, timeoutMs: 1000, ...o },
      { message: (m) => out.push(m), blank: (off) => blanks.push(off) },
    );
    let offset = 0;
    const push = (...lines: string[]) => {
      for (const l of lines) {
        j.push({ bytes: Buffer.from(l), offset, span: l.length + 1 }, 0);
        offset += l.length + 1;
      }
    };
    return { j, out, push, msgs: () => out.map((m) => m.bytes.toString()) };
  };

  it('negate + after: lines that do not start with a date continue the one that does', () => {
    const c = collect({ rule: patternRule(/^\d{4}-/, true), match: 'after' });
    c.push('2026-01-01 a', 'x', 'y', '2026-01-02 b', 'z');
    c.j.flush();
    expect(c.msgs()).toEqual(['2026-01-01 a\nx\ny', '2026-01-02 b\nz']);
    expect(c.out.map((m) => [m.offset, m.span, m.lines])).toEqual([
      [0, 17, 3],
      [17, 15, 2],
    ]);
  });

  it('before: a line ending in a backslash continues into the next', () => {
    const c = collect({ rule: patternRule(/\\$/, false), match: 'before' });
    c.push('a \\', 'b \\', 'c', 'd');
    c.j.flush();
    expect(c.msgs()).toEqual(['a \\\nb \\\nc', 'd']);
  });

  it('maxLines and maxBytes cut a message and the rest starts a new one (nothing discarded)', () => {
    const c = collect({ rule: patternRule(/^\s/, false), maxLines: 3 });
    c.push('E', ' 1', ' 2', ' 3', ' 4');
    c.j.flush();
    expect(c.msgs()).toEqual(['E\n 1\n 2', ' 3\n 4']);
    expect(c.j.stats).toEqual({ joined: 2, cut: 1, timedOut: 0 });
    const b = collect({ rule: patternRule(/^\s/, false), maxBytes: 8 });
    b.push('E', ' 111', ' 222');
    b.j.flush();
    expect(b.msgs()).toEqual(['E\n 111', ' 222']);
  });

  it("a container's stdout and stderr never join: a line of the other stream ends the message", () => {
    const out: Message[] = [];
    const j = new MultilineJoiner(
      { rule: stacktraceRule(now), maxLines: 500, maxBytes: 1 << 20, timeoutMs: 1000 },
      { message: (m) => out.push(m), blank() {} },
    );
    const push = (stream: string, text: string, offset: number) =>
      j.push({ bytes: Buffer.from(text), offset, span: text.length + 1, stream }, 0);
    push('stdout', 'ERROR x', 0);
    push('stderr', '    at not-yours', 8);
    push('stdout', '    at mine', 25);
    j.flush();
    expect(out.map((m) => [m.stream, m.bytes.toString()])).toEqual([
      ['stdout', 'ERROR x'],
      ['stderr', '    at not-yours'],
      ['stdout', '    at mine'],
    ]);
  });

  it('options out of range are refused by name', () => {
    expect(
      () =>
        new MultilineJoiner(
          { rule: patternRule(/x/, false), maxLines: 0, maxBytes: 1, timeoutMs: 0 },
          { message() {}, blank() {} },
        ),
    ).toThrow('multiline.maxLines: expected a positive number, found 0');
  });
});

describe('logIdFromPath', () => {
  it('a glob with {logId}', () => {
    const f = compilePathPattern('/var/log/{logId}/*.log');
    expect(f('/var/log/checkout/app.log')).toBe('checkout');
    expect(f('/var/log/checkout/sub/app.log')).toBeUndefined();
    expect(f('/srv/checkout/app.log')).toBeUndefined();
    expect(compilePathPattern('/srv/logs/{logId}-*.log')('/srv/logs/my-app-2026.log')).toBe('my-app');
    expect(compilePathPattern('/srv/**/{logId}.log')('/srv/a/b/billing.log')).toBe('billing');
  });

  it('a regular expression with a named group; an invalid logId is no match', () => {
    const f = compilePathPattern('^/apps/(?<logId>[^/]+)/');
    expect(f('/apps/orders/x.log')).toBe('orders');
    expect(f('/apps/has space/x.log')).toBeUndefined();
    // A dot is fine in a record's logId but not in a configured one: not a name an operator could use.
    expect(f('/apps/my.app/x.log')).toBeUndefined();
  });

  it('a relative glob resolves against the working directory, as include globs do', () => {
    expect(compilePathPattern('logs/{logId}.log')(path.resolve('logs/api.log'))).toBe('api');
  });

  it('a pattern without {logId} is refused', () => {
    expect(() => compilePathPattern('/var/log/*.log')).toThrow(
      'logIdFromPath: expected a glob with {logId} once (e.g. /var/log/{logId}/*.log) or a regular expression with a group (?<logId>…), found "/var/log/*.log"',
    );
  });
});

describe('LineStream: container logs with a stack trace (CRI)', () => {
  it("a checkpoint never passes a partial line that completes while the other stream's message leaves", () => {
    const t = '2026-11-30T13:28:53.696Z';
    const l1 = `${t} stderr F ERROR on stderr\n`;
    const l2 = `${t} stdout P first part \n`;
    const l3 = `${t} stdout F second part\n`;
    const judge = new LineJudge({ stamp, format: 'auto', defaultLogId: 'shop-api', now });
    const seen: { msg: string; heldFrom: number | undefined }[] = [];
    const s: LineStream = new LineStream(
      { judge, container: true, multiline: stacktrace, now },
      {
        accept: (l) => seen.push({ msg: JSON.parse(l.bytes.toString()).msg, heldFrom: s.heldFrom }),
        reject: (r) => {
          throw new Error(r.reason);
        },
      },
    );
    s.push(Buffer.from(l1 + l2 + l3));
    // The stderr message leaves when the stdout line completes; that line started at l2,
    // before the stderr message's end, and is still held: the checkpoint stops at l2.
    expect(seen).toEqual([{ msg: 'ERROR on stderr', heldFrom: l1.length }]);
    s.end();
    expect(seen.map((x) => x.msg)).toEqual(['ERROR on stderr', 'first part second part']);
  });

  it('partial lines are joined, then the trace, with the runtime time and stream', () => {
    const t = '2026-11-30T13:28:53.696123456Z';
    const lines = [
      `${t} stderr F ERROR request failed`,
      `${t} stderr F Error: boom`,
      `${t} stderr P     at handler (/app/`,
      `${t} stderr F server.js:1:2)`,
      `${t} stdout F INFO next request`,
    ];
    const data = Buffer.from(`${lines.join('\n')}\n`);
    const records: Record<string, unknown>[] = [];
    const judge = new LineJudge({ stamp, format: 'auto', defaultLogId: 'shop-api', now });
    const s = new LineStream(
      { judge, container: true, multiline: stacktrace, now },
      {
        accept: (l) => records.push(JSON.parse(l.bytes.toString())),
        reject: (r) => {
          throw new Error(r.reason);
        },
      },
    );
    s.push(data);
    s.end();
    expect(records).toEqual([
      {
        time: Date.UTC(2026, 10, 30, 13, 28, 53, 696),
        level: 'error',
        logId: 'shop-api',
        msg: 'ERROR request failed\nError: boom\n    at handler (/app/server.js:1:2)',
        host: 'host-1',
        origin: { region: 'r', zone: 'z', cluster: 'c', appId: 'a' },
        stream: 'stderr',
      },
      {
        time: Date.UTC(2026, 10, 30, 13, 28, 53, 696),
        level: 'info',
        logId: 'shop-api',
        msg: 'INFO next request',
        host: 'host-1',
        origin: { region: 'r', zone: 'z', cluster: 'c', appId: 'a' },
        stream: 'stdout',
      },
    ]);
  });
});
