import { describe, expect, it } from 'vitest';
import { requestBody } from '../../../../sinks/http/request-body.ts';
import { MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../../../sinks/http/retry-after.ts';
import { statusResult } from '../../../../sinks/http/status-result.ts';
import { record } from '../search-core/records.ts';

const NOW = Date.UTC(2026, 10, 26, 18, 0, 0);

describe('http status mapping', () => {
  it.each([
    [200, null, '', { kind: 'ok' }],
    [204, null, '', { kind: 'ok' }],
    [429, '3', 'slow down', { kind: 'retryable', reason: 'HTTP 429: slow down', retryAfterMs: 3000 }],
    [503, 'Thu, 26 Nov 2026 18:00:05 GMT', '', { kind: 'retryable', reason: 'HTTP 503', retryAfterMs: 5000 }],
    [500, null, 'boom', { kind: 'retryable', reason: 'HTTP 500: boom' }],
    [502, 'soon', '', { kind: 'retryable', reason: 'HTTP 502' }],
    [408, null, '', { kind: 'retryable', reason: 'HTTP 408' }],
    [400, '1', 'bad json', { kind: 'failed', reason: 'HTTP 400: bad json' }],
    [401, null, 'no token', { kind: 'failed', reason: 'HTTP 401: no token' }],
    [404, null, '', { kind: 'failed', reason: 'HTTP 404' }],
    [413, null, '', { kind: 'failed', reason: 'HTTP 413' }],
    [301, null, '', { kind: 'failed', reason: 'HTTP 301' }],
  ] as const)('%i (Retry-After %s)', (status, retryAfter, body, result) => {
    expect(statusResult(status, retryAfter, body, NOW)).toEqual(result);
  });

  it('cuts long response bodies in reasons', () => {
    const r = statusResult(400, null, 'x'.repeat(1000), NOW);
    expect(r).toEqual({ kind: 'failed', reason: `HTTP 400: ${'x'.repeat(200)}` });
  });
});

describe('Retry-After', () => {
  it.each([
    [null, undefined],
    ['', undefined],
    ['0', 0],
    ['120', 120_000],
    [' 7 ', 7000],
    ['Thu, 26 Nov 2026 18:00:30 GMT', 30_000],
    ['Thu, 26 Nov 2026 17:00:00 GMT', 0],
    ['99999', MAX_RETRY_AFTER_MS],
    ['-1', undefined],
    ['soon', undefined],
  ])('%s is %s ms', (header, ms) => {
    expect(parseRetryAfter(header, NOW)).toBe(ms);
  });
});

describe('http request body', () => {
  const records = [record('{"a":1}'), record('{"b":"é"}\n')];
  it('ndjson is the lines, each ending in a newline', () => {
    expect(requestBody('ndjson', records).toString()).toBe('{"a":1}\n{"b":"é"}\n');
  });
  it('json is one array of the lines', () => {
    expect(requestBody('json', records).toString()).toBe('[{"a":1},{"b":"é"}]');
    expect(JSON.parse(requestBody('json', records).toString())).toEqual([{ a: 1 }, { b: 'é' }]);
  });
  it('an empty batch is [] or the empty body', () => {
    expect(requestBody('json', []).toString()).toBe('[]');
    expect(requestBody('ndjson', []).length).toBe(0);
  });
});
