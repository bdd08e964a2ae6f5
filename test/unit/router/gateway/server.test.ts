import { describe, expect, it } from 'vitest';
import { TokenCheck } from '../../../../router/gateway/auth.ts';
import { DecodeError, encodingOf } from '../../../../router/gateway/decode.ts';
import { statusOf } from '../../../../router/gateway/server.ts';

const outcome = (accepted: number, rejected: number, retry: string[]) => ({
  accepted,
  rejected: Array.from({ length: rejected }, (_, i) => ({ line: i + 1, reason: 'bad' })),
  retry: retry.map((reason, i) => ({ line: 100 + i, reason, retryAfterMs: 1000 })),
  fallback: 0,
  criticality: undefined,
});

describe('statusOf', () => {
  it.each([
    [outcome(5, 0, []), 200],
    [outcome(0, 3, []), 200],
    [outcome(0, 0, []), 200],
    [outcome(4, 0, ['kafka cluster "aux": down']), 207],
    [outcome(0, 1, ['quota: logid-quota for logId "x"']), 207],
    [outcome(0, 0, ['quota: logid-quota for logId "x"', 'quota: global-quota for logId "y"']), 429],
    [outcome(0, 0, ['kafka cluster "aux": down']), 503],
    [outcome(0, 0, ['quota: logid-quota for logId "x"', 'kafka cluster "aux": down']), 503],
  ])('%j -> %d', (o, status) => {
    expect(statusOf(o)).toBe(status);
  });
});

describe('TokenCheck', () => {
  const check = new TokenCheck([
    { agent: 'edge-eu', token: 'token-eu-0123456789' },
    { agent: 'edge-us', token: 'token-us-0123456789' },
  ]);
  it.each([
    ['Bearer token-eu-0123456789', 'edge-eu'],
    ['bearer token-us-0123456789', 'edge-us'],
    ['Bearer token-eu-012345678', undefined],
    ['Bearer token-eu-0123456789x', undefined],
    ['Basic dXNlcjpwYXNz', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%s -> %s', (header, agent) => {
    expect(check.agentFor(header)).toBe(agent);
  });
  it('accepts anyone when no token is configured', () => {
    expect(new TokenCheck([]).agentFor(undefined)).toBe('anonymous');
  });
});

describe('encodingOf', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['GZIP', 'gzip'],
    ['x-gzip', 'gzip'],
    [' zstd ', 'zstd'],
  ])('%s -> %s', (h, e) => {
    expect(encodingOf(h)).toBe(e);
  });
  it('refuses anything else with 415 and the header named', () => {
    expect(() => encodingOf('br')).toThrow(
      new DecodeError(415, 'unsupported Content-Encoding "br": use gzip, zstd or identity'),
    );
  });
});
