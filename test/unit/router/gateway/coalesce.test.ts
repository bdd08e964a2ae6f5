import { describe, expect, it } from 'vitest';
import type { ProduceRecord } from '../../../../core/kafka/index.ts';
import { CoalescingSender } from '../../../../router/gateway/coalesce.ts';

class FakeSender {
  calls: { records: number; timeoutMs: number }[] = [];
  fail = false;
  async send(records: ProduceRecord[], timeoutMs: number) {
    this.calls.push({ records: records.length, timeoutMs });
    if (this.fail) throw new Error('broker down');
    return records.length;
  }
}

const recs = (n: number): ProduceRecord[] => Array.from({ length: n }, (_, i) => ({ topic: 't', value: String(i) }));

describe('CoalescingSender', () => {
  it('joins concurrent sends into one produce whose budget is the earliest deadline', async () => {
    const inner = new FakeSender();
    const s = new CoalescingSender(inner, { lingerMs: 5 });
    const results = await Promise.all([s.send(recs(3), 1_000), s.send(recs(4), 300), s.send(recs(5), 2_000)]);
    expect(inner.calls).toHaveLength(1);
    expect(inner.calls[0]!.records).toBe(12);
    expect(inner.calls[0]!.timeoutMs).toBeGreaterThan(280);
    expect(inner.calls[0]!.timeoutMs).toBeLessThanOrEqual(300);
    expect(results).toEqual([12, 12, 12]);
  });

  it('sends at once when the pending records reach maxRecords', async () => {
    const inner = new FakeSender();
    const s = new CoalescingSender(inner, { lingerMs: 1_000, maxRecords: 6 });
    const a = s.send(recs(4), 5_000);
    const b = s.send(recs(3), 5_000);
    await Promise.all([a, b]);
    expect(inner.calls.map((c) => c.records)).toEqual([7]);
  });

  it('fails every member of the group when the produce fails', async () => {
    const inner = new FakeSender();
    inner.fail = true;
    const s = new CoalescingSender(inner, { lingerMs: 1 });
    const r = await Promise.allSettled([s.send(recs(1), 1_000), s.send(recs(2), 1_000)]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected']);
    expect(inner.calls).toHaveLength(1);
  });

  it('passes straight through with lingerMs 0', async () => {
    const inner = new FakeSender();
    const s = new CoalescingSender(inner, { lingerMs: 0 });
    await Promise.all([s.send(recs(1), 100), s.send(recs(1), 100)]);
    expect(inner.calls).toEqual([
      { records: 1, timeoutMs: 100 },
      { records: 1, timeoutMs: 100 },
    ]);
  });
});
