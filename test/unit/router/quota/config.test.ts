import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../../config/load.ts';
import { baseDocument } from '../../config/fixtures.ts';

function load(quota: unknown) {
  const doc = baseDocument();
  doc.router = { quota };
  return validateConfig(doc, 'quota.yaml', { env: {} });
}

function problems(quota: unknown): string[] {
  try {
    load(quota);
  } catch (err) {
    return (err as Error).message.split('\n').slice(1);
  }
  return [];
}

describe('router.quota', () => {
  it('is optional', () => {
    const doc = baseDocument();
    expect(validateConfig(doc, 'quota.yaml', { env: {} }).router.quota).toBeUndefined();
  });

  it('resolves every default', () => {
    expect(load({}).router.quota).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      keyPrefix: 'spw:quota',
      leaseMs: 1000,
      demandWindowMs: 5000,
      importanceWeights: { S: 8, A: 4, B: 2, C: 1 },
      redisTimeoutMs: 200,
      burstMs: 1000,
      fallbackInstances: 1,
    });
  });

  it.each([
    [
      'window shorter than a lease',
      { leaseMs: 2000, demandWindowMs: 1000 },
      [
        'router.quota.demandWindowMs: expected at least leaseMs (2000), so every lease sees a full window of demand, found 1000',
      ],
    ],
    [
      'not a redis URL',
      { redisUrl: 'http://x' },
      ['router.quota.redisUrl: expected a redis:// or rediss:// URL, found "http://x"'],
    ],
    [
      'zero weight',
      { importanceWeights: { C: 0 } },
      ['router.quota.importanceWeights.C: expected more than 0, found 0'],
    ],
    ['unknown key', { leaseMS: 100 }, [expect.stringMatching(/^router\.quota\.leaseMS: unknown key/)]],
  ])('%s', (_name, quota, expected) => {
    expect(problems(quota)).toEqual(expected);
  });
});
