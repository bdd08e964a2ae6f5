import { describe, expect, it } from 'vitest';
import { blackholeDestination } from '../../../../sinks/blackhole/destination.ts';
import { record } from '../search-core/records.ts';

describe('blackhole', () => {
  it('counts batches, records and bytes, and drops them', async () => {
    const d = blackholeDestination();
    const signal = new AbortController().signal;
    expect(await d.write(d.keyOf(record('{}')), [record('{"a":1}'), record('{}')], signal)).toEqual({ kind: 'ok' });
    expect(await d.write('blackhole', [record('{"b":2}')], signal)).toEqual({ kind: 'ok' });
    expect(d.counts()).toEqual({ batches: 2, records: 3, bytes: 16 });
  });

  it('an aborted write is retryable and not counted', async () => {
    const d = blackholeDestination();
    expect(await d.write('blackhole', [record('{}')], AbortSignal.abort())).toEqual({
      kind: 'retryable',
      reason: 'aborted',
    });
    expect(d.counts().records).toBe(0);
  });
});
