/**
 * Coalesces the produce calls of concurrent batches for one cluster into one produce
 * request. Every record still waits for its own acks=all; what changes is how many records
 * share a Kafka record batch: four concurrent agent batches of 1,000 records spread over
 * 70 partitions make ~14 records per partition batch alone, ~55 together, and per-batch
 * costs (headers, CRC, a compression context) dominate small batches.
 *
 * A call joins the pending group and the group is sent after `lingerMs` (router.produceLingerMs; or at once when
 * it reaches `maxRecords`). The group's deadline is the earliest of its members', so no
 * caller waits past its own budget.
 */

import { DEFAULT_PRODUCE_LINGER_MS } from '../../config/router.ts';
import type { ProduceRecord } from '../../core/kafka/index.ts';
import type { ClusterSender } from './batch.ts';

/** Send at once past this many records: bounds the size of one produce request. */
export const DEFAULT_COALESCE_MAX_RECORDS = 20_000;

interface Waiter {
  records: ProduceRecord[];
  deadlineAt: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class CoalescingSender implements ClusterSender {
  readonly #inner: ClusterSender;
  readonly #lingerMs: number;
  readonly #maxRecords: number;
  #pending: Waiter[] = [];
  #pendingRecords = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(inner: ClusterSender, options: { lingerMs?: number; maxRecords?: number } = {}) {
    this.#inner = inner;
    this.#lingerMs = options.lingerMs ?? DEFAULT_PRODUCE_LINGER_MS;
    this.#maxRecords = options.maxRecords ?? DEFAULT_COALESCE_MAX_RECORDS;
  }

  send(records: ProduceRecord[], timeoutMs: number): Promise<unknown> {
    if (this.#lingerMs <= 0) return this.#inner.send(records, timeoutMs);
    return new Promise((resolve, reject) => {
      this.#pending.push({ records, deadlineAt: Date.now() + timeoutMs, resolve, reject });
      this.#pendingRecords += records.length;
      if (this.#pendingRecords >= this.#maxRecords) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#lingerMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const group = this.#pending;
    if (group.length === 0) return;
    this.#pending = [];
    this.#pendingRecords = 0;
    const budget = Math.min(...group.map((w) => w.deadlineAt)) - Date.now();
    const all = group.length === 1 ? group[0]!.records : group.flatMap((w) => w.records);
    this.#inner.send(all, budget).then(
      (v) => {
        for (const w of group) w.resolve(v);
      },
      (e) => {
        for (const w of group) w.reject(e);
      },
    );
  }
}
