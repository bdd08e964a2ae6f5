import { describe, expect, it } from 'vitest';
import { parseBody, parseLine } from '../../../../router/gateway/lines.ts';

const b = (s: string) => Buffer.from(s);

describe('parseLine', () => {
  it.each([
    ['{"logId":"checkout","level":"info"}', { logId: 'checkout', level: 'info', host: undefined }],
    ['{"logId":"checkout","level":"ERROR","host":"web-1"}', { logId: 'checkout', level: 'error', host: 'web-1' }],
    ['{"logId":"a.b_c-9","level":60}', { logId: 'a.b_c-9', level: 'fatal', host: undefined }],
    ['{"logId":"x","level":10,"host":42}', { logId: 'x', level: 'trace', host: undefined }],
  ])('accepts %s', (line, want) => {
    expect(parseLine(b(line), 1)).toEqual({ line: 1, ...want, bytes: b(line) });
  });

  it.each([
    ['{', /^not valid JSON: /],
    ['"just a string"', 'expected a JSON object, found "just a string"'],
    ['null', 'expected a JSON object, found null'],
    ['[{"logId":"x"}]', 'expected a JSON object, found an array'],
    ['42', 'expected a JSON object, found 42'],
    ['{"level":"info"}', 'logId: expected a string of 1-64 letters, digits, "_", "." or "-", found nothing'],
    ['{"logId":"","level":"info"}', 'logId: expected a string of 1-64 letters, digits, "_", "." or "-", found ""'],
    [
      '{"logId":"has space","level":"info"}',
      'logId: expected a string of 1-64 letters, digits, "_", "." or "-", found "has space"',
    ],
    [
      `{"logId":"${'x'.repeat(65)}","level":"info"}`,
      `logId: expected a string of 1-64 letters, digits, "_", "." or "-", found "${'x'.repeat(39)}…`,
    ],
    ['{"logId":7,"level":"info"}', 'logId: expected a string of 1-64 letters, digits, "_", "." or "-", found 7'],
    [
      '{"logId":"x"}',
      'level: expected one of trace, debug, info, warn, error, fatal or a pino number 10..60, found nothing',
    ],
    [
      '{"logId":"x","level":35}',
      'level: expected one of trace, debug, info, warn, error, fatal or a pino number 10..60, found 35',
    ],
    [
      '{"logId":"x","level":{"n":1}}',
      'level: expected one of trace, debug, info, warn, error, fatal or a pino number 10..60, found an object',
    ],
  ])('rejects %s', (line, reason) => {
    const r = parseLine(b(line), 9) as { line: number; reason: string };
    expect(r.line).toBe(9);
    if (typeof reason === 'string') expect(r.reason).toBe(reason);
    else expect(r.reason).toMatch(reason);
  });

  it('rejects invalid UTF-8 instead of storing replacement characters', () => {
    expect(parseLine(Buffer.from([0x7b, 0xff, 0x7d]), 3)).toEqual({ line: 3, reason: 'invalid UTF-8' });
  });
});

describe('parseBody', () => {
  it('numbers lines from 1, skips empty ones, handles CRLF and a missing final newline', () => {
    const body = b('{"logId":"a","level":"info"}\r\n\n{bad\n{"logId":"b","level":"warn"}');
    const { records, rejected } = parseBody(body);
    expect(records.map((r) => [r.line, r.logId, r.bytes.toString()])).toEqual([
      [1, 'a', '{"logId":"a","level":"info"}'],
      [4, 'b', '{"logId":"b","level":"warn"}'],
    ]);
    expect(rejected.map((r) => r.line)).toEqual([3]);
  });

  it('never throws on random bytes and accounts for every non-empty line', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let round = 0; round < 200; round++) {
      const bytes = Buffer.from(Array.from({ length: rnd() % 400 }, () => rnd() % 256));
      const { records, rejected } = parseBody(bytes);
      const nonEmpty = bytes
        .toString('latin1')
        .split('\n')
        .filter((l) => l.replace(/\r$/, '').length > 0).length;
      expect(records.length + rejected.length).toBe(nonEmpty);
    }
  });
});
