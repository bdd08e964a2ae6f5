import { describe, expect, it } from 'vitest';
import { actionLine, buildBulkBody, documentId, isoTimestamp } from '../../../../sinks/search-core/bulk-body.ts';
import { record } from './records.ts';

const ACTION = '{"create":{"_index":"logs-checkout-2026.11.26","_id":"main:logs.S.error.0:3:41"}}\n';
const TS = '"@timestamp":"2026-11-26T18:05:07.123Z"';

describe('bulk body', () => {
  it('is the action line and the record bytes, with @timestamp spliced in after the brace', () => {
    const body = buildBulkBody('logs-checkout-2026.11.26', [record('{"level":30,"time":1,"msg":"hi"}')]);
    expect(body.toString()).toBe(`${ACTION}{${TS},"level":30,"time":1,"msg":"hi"}\n`);
  });

  it.each([
    [
      'an own @timestamp is kept as it is',
      '{"@timestamp":"2020-01-01T00:00:00Z","msg":"x"}',
      '{"@timestamp":"2020-01-01T00:00:00Z","msg":"x"}',
    ],
    ['an empty object gets no dangling comma', '{}', `{${TS}}`],
    ['an empty object with spaces', ' { } ', ` {${TS} }`],
    ['leading whitespace before the brace', '  {"a":1}', `  {${TS},"a":1}`],
    ['a trailing newline is not doubled', '{"a":1}\n', `{${TS},"a":1}`],
    ['a non-object goes as it is (the engine rejects that item alone)', '[1,2]', '[1,2]'],
    ['non-ASCII bytes pass through', '{"msg":"héllo ✓"}', `{${TS},"msg":"héllo ✓"}`],
  ])('%s', (_name, value, doc) => {
    const body = buildBulkBody('logs-checkout-2026.11.26', [record(value)]);
    expect(body.toString()).toBe(`${ACTION}${doc}\n`);
  });

  it('concatenates several records exactly, byte for byte', () => {
    const records = [
      record('{"a":1}'),
      record('{"b":2}', { offset: 42n, timestampMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6) }),
    ];
    const body = buildBulkBody('ix', records);
    const expected =
      '{"create":{"_index":"ix","_id":"main:logs.S.error.0:3:41"}}\n' +
      `{${TS},"a":1}\n` +
      '{"create":{"_index":"ix","_id":"main:logs.S.error.0:3:42"}}\n' +
      '{"@timestamp":"2026-01-02T03:04:05.006Z","b":2}\n';
    expect(body.equals(Buffer.from(expected))).toBe(true);
  });

  it('ids are the Kafka coordinates of the main topic', () => {
    expect(documentId(record('{}', { cluster: 'aux', topic: 't', partition: 0, offset: 9007199254740993n }))).toBe(
      'aux:t:0:9007199254740993',
    );
    expect(actionLine('i', 'x')).toBe('{"create":{"_index":"i","_id":"x"}}\n');
  });

  it('an empty batch is an empty body', () => {
    expect(buildBulkBody('ix', []).length).toBe(0);
  });

  it('the cached ISO timestamp equals toISOString', () => {
    for (const ms of [
      0,
      1,
      999,
      1000,
      1_795_000_000_007,
      1_795_000_000_070,
      1_795_000_000_700,
      -1,
      -1001,
      Date.UTC(2026, 10, 26, 18, 5, 7, 123),
    ]) {
      expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
