import { describe, expect, it } from 'vitest';
import type { ProduceRecord } from '../../../../core/kafka/index.ts';
import type { Criticality } from '../../../../core/resilience/criticality.ts';
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

  it('sends each call on its own with lingerMs 0', async () => {
    const inner = new FakeSender();
    const s = new CoalescingSender(inner, { lingerMs: 0 });
    await Promise.all([s.send(recs(1), 100), s.send(recs(2), 100)]);
    expect(inner.calls.map((c) => c.records)).toEqual([1, 2]);
    for (const c of inner.calls) expect(c.timeoutMs).toBeGreaterThan(90);
  });

  it('keeps criticalities in separate groups', async () => {
    const inner = new FakeSender();
    const s = new CoalescingSender(inner, { lingerMs: 5 });
    await Promise.all([
      s.send(recs(3), 1_000, 'SHEDDABLE'),
      s.send(recs(4), 1_000, 'CRITICAL_PLUS'),
      s.send(recs(5), 1_000, 'SHEDDABLE'),
    ]);
    expect(inner.calls.map((c) => c.records).sort()).toEqual([4, 8]);
  });
});

/** A sender whose produces stay outstanding until released, recording what each carried. */
class HeldSender {
  calls: string[] = [];
  #release: (() => void)[] = [];
  async send(records: ProduceRecord[]) {
    this.calls.push(String(records[0]!.value));
    await new Promise<void>((r) => this.#release.push(r));
    return records.length;
  }
  releaseAll() {
    for (const r of this.#release.splice(0)) r();
  }
}

describe('CoalescingSender priority', () => {
  it('with every produce slot taken, the most critical waiting group goes next', async () => {
    const inner = new HeldSender();
    const s = new CoalescingSender(inner, { lingerMs: 0, maxInFlight: 1 });
    const one = (v: string, c: Criticality) => s.send([{ topic: 't', value: v }], 10_000, c);
    const done = [one('info-0', 'SHEDDABLE'), one('info-1', 'SHEDDABLE'), one('info-2', 'SHEDDABLE')];
    done.push(one('error-0', 'CRITICAL'), one('s-error-0', 'CRITICAL_PLUS'));
    expect(inner.calls).toEqual(['info-0']);
    expect(s.queued).toBe(4);
    for (let i = 0; i < 5; i++) {
      inner.releaseAll();
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(done);
    expect(inner.calls).toEqual(['info-0', 's-error-0', 'error-0', 'info-1', 'info-2']);
  });

  it('refuses a group whose deadline passed while it waited for a slot, naming why', async () => {
    const inner = new HeldSender();
    const s = new CoalescingSender(inner, { lingerMs: 0, maxInFlight: 1 });
    const first = s.send(recs(1), 10_000, 'CRITICAL');
    const late = s.send(recs(1), 5, 'SHEDDABLE');
    await new Promise((r) => setTimeout(r, 20));
    inner.releaseAll();
    await first;
    await expect(late).rejects.toThrow(
      'deadline passed while waiting for a produce slot (1 produces in flight, SHEDDABLE records)',
    );
    expect(inner.calls).toHaveLength(1);
  });
});
