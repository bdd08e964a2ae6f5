import { describe, expect, it } from 'vitest';
import { JsonLineJudge, JsonLinesParser } from '../../../../agent/parse/json-lines.ts';
import { matchLevel } from '../../../../agent/parse/level.ts';
import type { AgentLine, Rejection } from '../../../../agent/parse/output.ts';
import { isRejection } from '../../../../agent/parse/output.ts';
import { parseLine } from '../../../../router/gateway/lines.ts';
import { accountingProblem, collect, NOW, now, ORIGIN, stamp } from './collect.ts';

const b = (s: string) => Buffer.from(s);
const ADD = `"host":"agent-1",${ORIGIN}`;
const judge = new JsonLineJudge({
  stamp,
  now,
  defaultLogId: 'legacy',
  rules: [
    { match: { service: 'billing', env: 'prod' }, logId: 'billing-prod' },
    { match: { service: 'billing' }, logId: 'billing' },
  ],
});

describe('JsonLineJudge: accepted lines, exact bytes', () => {
  it.each([
    // pino line: logId present, only host/origin added, level kept as the number.
    [
      '{"level":30,"time":1,"pid":7,"hostname":"w","logId":"checkout","msg":"hi"}',
      'checkout',
      'info',
      `{"level":30,"time":1,"pid":7,"hostname":"w","logId":"checkout","msg":"hi",${ADD}}`,
    ],
    ['{"logId":"a","level":"ERROR","time":1}', 'a', 'error', `{"logId":"a","level":"ERROR","time":1,${ADD}}`],
    // Aliases are rewritten in place (the router would reject them).
    ['{"logId":"a","level":"warning","time":1}', 'a', 'warn', `{"logId":"a","level":"warn","time":1,${ADD}}`],
    ['{"logId":"a","level":"CRIT","time":1}', 'a', 'fatal', `{"logId":"a","level":"fatal","time":1,${ADD}}`],
    ['{"logId":"a","level":"notice","time":1}', 'a', 'info', `{"logId":"a","level":"info","time":1,${ADD}}`],
    // No logId: rules in order, then the default; no level: info; no time: now.
    [
      '{"service":"billing","env":"prod"}',
      'billing-prod',
      'info',
      `{"service":"billing","env":"prod","time":${NOW},"level":"info","logId":"billing-prod",${ADD}}`,
    ],
    [
      '{"service":"billing","env":"dev","level":50}',
      'billing',
      'error',
      `{"service":"billing","env":"dev","level":50,"time":${NOW},"logId":"billing",${ADD}}`,
    ],
    ['{"msg":"plain"}', 'legacy', 'info', `{"msg":"plain","time":${NOW},"level":"info","logId":"legacy",${ADD}}`],
    ['{}', 'legacy', 'info', `{"time":${NOW},"level":"info","logId":"legacy",${ADD}}`],
    // Surrounding whitespace is dropped; a present host/origin/time is left alone.
    [
      ' \t{"logId":"a","level":10,"host":"h","origin":"o","time":"2026-01-01"} ',
      'a',
      'trace',
      '{"logId":"a","level":10,"host":"h","origin":"o","time":"2026-01-01"}',
    ],
  ])('%s', (line, logId, level, want) => {
    const r = judge.judge(b(line), 3, 9) as AgentLine;
    expect(r).toMatchObject({ logId, level, offset: 3, span: 9 });
    expect(r.bytes.toString()).toBe(want);
    expect(parseLine(r.bytes, 1)).toMatchObject({ logId, level });
  });
});

describe('JsonLineJudge: rejections, exact reasons', () => {
  const noDefault = new JsonLineJudge({ stamp, now });
  it.each([
    ['{', 'invalid-json', "not valid JSON: Expected property name or '}' in JSON at position 1 (line 1 column 2)"],
    [
      '{"a":1}x',
      'invalid-json',
      'not valid JSON: Unexpected non-whitespace character after JSON at position 7 (line 1 column 8)',
    ],
    ['hello', 'invalid-json', 'not valid JSON: Unexpected token \'h\', "hello" is not valid JSON'],
    ['"s"', 'not-object', 'expected a JSON object, found "s"'],
    ['[{"logId":"a"}]', 'not-object', 'expected a JSON object, found an array'],
    ['null', 'not-object', 'expected a JSON object, found null'],
    ['{"logId":7}', 'bad-log-id', 'logId: expected a string of 1-64 letters, digits, "_", "." or "-", found 7'],
    ['{"logId":""}', 'bad-log-id', 'logId: expected a string of 1-64 letters, digits, "_", "." or "-", found ""'],
    [
      `{"logId":"${'x'.repeat(65)}"}`,
      'bad-log-id',
      `logId: expected a string of 1-64 letters, digits, "_", "." or "-", found "${'x'.repeat(39)}…`,
    ],
    [
      '{"logId":"a","level":35}',
      'bad-level',
      'level: expected one of trace, debug, info, warn, error, fatal, a pino number 10..60 or an alias (warning, err, critical, crit, emerg, emergency, alert, panic, dpanic, notice, informational), found 35',
    ],
    [
      '{"logId":"a","level":"verbose"}',
      'bad-level',
      'level: expected one of trace, debug, info, warn, error, fatal, a pino number 10..60 or an alias (warning, err, critical, crit, emerg, emergency, alert, panic, dpanic, notice, informational), found "verbose"',
    ],
    [
      '{"logId":"a","level":"constructor"}',
      'bad-level',
      'level: expected one of trace, debug, info, warn, error, fatal, a pino number 10..60 or an alias (warning, err, critical, crit, emerg, emergency, alert, panic, dpanic, notice, informational), found "constructor"',
    ],
    ['   ', 'empty', 'empty line'],
  ])('%s', (line, kind, reason) => {
    const r = judge.judge(b(line), 0, line.length + 1) as Rejection;
    expect(r).toEqual({ kind, reason, offset: 0, span: line.length + 1 });
  });

  it('rejects "no logId" without a field, a matching rule or a default', () => {
    expect(noDefault.judge(b('{"service":"billing"}'), 0, 1)).toEqual({
      kind: 'no-log-id',
      reason: 'no logId: the object has no "logId" field, no rule matched and the input has no defaultLogId',
      offset: 0,
      span: 1,
    });
  });

  it.each([
    [[0x7b, 0xff, 0x7d]],
    [[0x7b, 0x22, 0xc3, 0x22, 0x7d]], // truncated 2-byte sequence
    [[0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]], // UTF-16 surrogate encoded in UTF-8
    [[0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x7d]], // overlong "/"
  ])('rejects invalid UTF-8 %j', (bytes) => {
    expect(judge.judge(Buffer.from(bytes), 0, 1)).toEqual({
      kind: 'invalid-utf8',
      reason: 'invalid UTF-8',
      offset: 0,
      span: 1,
    });
  });

  it('checks options once, naming the bad one', () => {
    expect(() => new JsonLineJudge({ stamp, defaultLogId: 'a b' })).toThrow(
      'defaultLogId: expected a string of 1-64 letters, digits, "_", "." or "-", found "a b"',
    );
    expect(() => new JsonLineJudge({ stamp, rules: [{ match: {}, logId: 'x' }] })).toThrow(
      'rules[0].match: expected at least one field; use defaultLogId for a catch-all',
    );
    expect(() => new JsonLineJudge({ stamp, rules: [{ match: { a: 1 }, logId: '' }] })).toThrow(
      'rules[0].logId: expected a string of 1-64 letters, digits, "_", "." or "-", found ""',
    );
  });
});

describe('matchLevel', () => {
  it.each([
    [10, 'trace', true],
    [60, 'fatal', true],
    ['Info', 'info', true],
    ['warning', 'warn', false],
    ['err', 'error', false],
    ['critical', 'fatal', false],
    ['emerg', 'fatal', false],
    ['alert', 'fatal', false],
    ['notice', 'info', false],
  ])('%j -> %s', (v, level, asIs) => {
    expect(matchLevel(v)).toEqual({ level, asIs });
  });
  it.each([[35], ['30'], [null], [true], ['toString'], ['x'.repeat(100)]])('%j is no level', (v) => {
    expect(matchLevel(v)).toBeUndefined();
  });
});

describe('JsonLinesParser: framing', () => {
  const opts = { stamp, now, defaultLogId: 'legacy' };

  it('frames lines across arbitrary chunk boundaries, with CRLF, blank lines and a final partial line', () => {
    const input = b('{"logId":"a","level":30,"time":1}\r\n\n  \n{bad\n{"logId":"b","level":"warn","time":2}');
    for (let cut = 0; cut <= input.length; cut++) {
      const c = collect();
      const p = new JsonLinesParser(opts, c);
      p.push(input.subarray(0, cut));
      p.push(input.subarray(cut));
      p.end();
      expect(c.texts()).toEqual([
        `{"logId":"a","level":30,"time":1,${ADD}}`,
        `{"logId":"b","level":"warn","time":2,${ADD}}`,
      ]);
      expect(c.lines.map((l) => [l.offset, l.span])).toEqual([
        [0, 35],
        [44, 37],
      ]);
      expect(c.rejections.map((r) => [r.kind, r.offset, r.span])).toEqual([['invalid-json', 39, 5]]);
      expect(p.stats).toEqual({ bytes: input.length, records: 2, rejected: 1, skippedBytes: 4 });
      expect(accountingProblem(input, c, p.stats.skippedBytes)).toBeUndefined();
    }
  });

  it('keeps a partial last line until more bytes arrive', () => {
    const c = collect();
    const p = new JsonLinesParser(opts, c);
    p.push(b('{"logId":"a","le'));
    expect(c.lines).toHaveLength(0);
    expect(p.pendingBytes).toBe(16);
    p.push(b('vel":30,"time":1}\n'));
    expect(c.texts()).toEqual([`{"logId":"a","level":30,"time":1,${ADD}}`]);
    expect(p.pendingBytes).toBe(0);
  });

  it('cuts a 10 MB line without buffering it, and resyncs at the next newline', () => {
    const big = 10 * 1024 * 1024;
    const c = collect();
    const p = new JsonLinesParser(opts, c);
    p.push(b('{"logId":"a","level":30,"time":1}\n{"x":"'));
    const block = Buffer.alloc(64 * 1024, 0x61);
    let sent = 6;
    let maxPending = 0;
    while (sent < big) {
      const n = Math.min(block.length, big - sent);
      p.push(block.subarray(0, n));
      sent += n;
      maxPending = Math.max(maxPending, p.pendingBytes);
    }
    p.push(b('\r\n{"logId":"b","level":40,"time":2}\n'));
    p.end();
    expect(maxPending).toBeLessThanOrEqual(1_048_577);
    expect(c.texts()).toEqual([`{"logId":"a","level":30,"time":1,${ADD}}`, `{"logId":"b","level":40,"time":2,${ADD}}`]);
    expect(c.rejections).toEqual([
      { kind: 'too-long', reason: `line too long (${big} bytes > 1048576)`, offset: 34, span: big + 2 },
    ]);
    expect(p.stats).toEqual({ bytes: 34 + big + 2 + 34, records: 2, rejected: 1, skippedBytes: 0 });
  });

  it.each([
    // [line length, max, accepted?]: the limit counts the line without its CR/LF.
    [8, 8, true],
    [9, 8, false],
  ])('a line of %i bytes with maxLineBytes %i: accepted %s, also when cut before its CRLF', (len, max, ok) => {
    const line = `{"a":"${'x'.repeat(len - 8)}"}`;
    expect(line.length).toBe(len);
    for (const tail of ['\n', '\r\n', '']) {
      for (let cut = 0; cut <= len + tail.length; cut++) {
        const input = b(`${line}${tail}{}\n`);
        const c = collect();
        const p = new JsonLinesParser({ ...opts, maxLineBytes: max }, c);
        p.push(input.subarray(0, cut));
        p.push(input.subarray(cut));
        p.end();
        if (tail === '') {
          // No newline: the line and "{}" are one line.
          expect(c.reasons()).toEqual([`line too long (${len + 2} bytes > ${max})`]);
          continue;
        }
        expect(c.reasons()).toEqual(ok ? [] : [`line too long (${len} bytes > ${max})`]);
        expect(c.lines).toHaveLength(ok ? 2 : 1);
        expect(accountingProblem(input, c, p.stats.skippedBytes)).toBeUndefined();
      }
    }
  });

  it('reports a line still being cut when the stream ends', () => {
    const c = collect();
    const p = new JsonLinesParser({ ...opts, maxLineBytes: 4 }, c);
    p.push(b('{}\n123456'));
    p.push(b('789\r'));
    p.end();
    expect(c.rejections).toEqual([{ kind: 'too-long', reason: 'line too long (9 bytes > 4)', offset: 3, span: 10 }]);
  });

  it('gives every line its own verdict: exact counts for a mixed stream', () => {
    const lines = [
      '{"logId":"a","level":30}',
      '{"logId":"a","level":"nope"}',
      Buffer.from([0x7b, 0xfe, 0x7d]).toString('latin1'),
      '{"logId":"a b"}',
      '{"msg":"x"}',
      '42',
    ];
    const input = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
    const c = collect();
    const p = new JsonLinesParser(opts, c);
    p.push(input);
    p.end();
    expect(c.lines.map((l) => l.logId)).toEqual(['a', 'legacy']);
    expect(c.rejections.map((r) => r.kind)).toEqual(['bad-level', 'invalid-utf8', 'bad-log-id', 'not-object']);
    expect(isRejection(c.rejections[0]!)).toBe(true);
  });
});
