/** SinkRecord fixtures for the sink unit tests. */
import type { SinkRecord } from '../../../../sinks/core/destination.ts';

export function record(value: string, overrides: Partial<SinkRecord> = {}): SinkRecord {
  return {
    cluster: 'main',
    topic: 'logs.S.error.0',
    partition: 3,
    offset: 41n,
    logId: 'checkout',
    value: Buffer.from(value),
    timestampMs: Date.UTC(2026, 10, 26, 18, 5, 7, 123),
    attempts: 0,
    ...overrides,
  };
}
