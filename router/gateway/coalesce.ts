/**
 * Coalesces the produce calls of concurrent batches for one cluster into one produce
 * request, and lets the most critical produces go first. Every record still waits for its
 * own acks=all; what changes is how many records share a Kafka record batch: four
 * concurrent agent batches of 1,000 records spread over 70 partitions make ~14 records per
 * partition batch alone, ~55 together, and per-batch costs (headers, CRC, a compression
 * context) dominate small batches.
 *
 * A call joins the pending group of its criticality, and the group is ready after `lingerMs`
 * (router.produceLingerMs; or at once when it reaches `maxRecords`). The group's deadline
 * is the earliest of its members', so no caller waits past its own budget.
 *
 * Priority (DESIGN.md invariant 3, issue #11): at most `maxInFlight` produces per cluster
 * are outstanding; ready groups wait in PriorityLanes, so when Kafka is the bottleneck an
 * ERROR group waits for one produce slot, not behind every INFO group queued in the client
 * before it, and a group whose deadline passes while it waits is refused (retryable) instead
 * of produced late: the lowest criticalities time out first.
 */

import { DEFAULT_PRODUCE_LINGER_MS } from '../../config/router.ts';
import { SpillwayError } from '../../core/errors.ts';
import type { ProduceRecord } from '../../core/kafka/index.ts';
import { type Criticality, criticalityRank } from '../../core/resilience/criticality.ts';
import { PriorityLanes } from '../../core/resilience/priority-lanes.ts';
import type { ClusterSender } from './batch.ts';

/** Send at once past this many records: bounds the size of one produce request. */
export const DEFAULT_COALESCE_MAX_RECORDS = 20_000;
/** Produces outstanding per cluster: Kafka's max.in.flight.requests.per.connection default, also the idempotent producer's ceiling. */
export const DEFAULT_MAX_IN_FLIGHT_PRODUCES = 5;

interface Waiter {
  records: ProduceRecord[];
  deadlineAt: number;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Group {
  waiters: Waiter[];
  records: number;
  timer: NodeJS.Timeout | undefined;
}

export interface CoalescingOptions {
  /** @default DEFAULT_PRODUCE_LINGER_MS */
  lingerMs?: number;
  /** @default DEFAULT_COALESCE_MAX_RECORDS */
  maxRecords?: number;
  /** @default DEFAULT_MAX_IN_FLIGHT_PRODUCES */
  maxInFlight?: number;
}

export class CoalescingSender implements ClusterSender {
  readonly #inner: ClusterSender;
  readonly #lingerMs: number;
  readonly #maxRecords: number;
  readonly #maxInFlight: number;
  /** The group filling up per criticality rank. */
  readonly #pending: (Group | undefined)[] = [undefined, undefined, undefined, undefined];
  readonly #ready = new PriorityLanes<Waiter[]>();
  #inFlight = 0;

  constructor(inner: ClusterSender, options: CoalescingOptions = {}) {
    this.#inner = inner;
    this.#lingerMs = options.lingerMs ?? DEFAULT_PRODUCE_LINGER_MS;
    this.#maxRecords = options.maxRecords ?? DEFAULT_COALESCE_MAX_RECORDS;
    this.#maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT_PRODUCES;
  }

  /** Produces waiting for a slot (tests, metrics). */
  get queued(): number {
    return this.#ready.size;
  }

  send(records: ProduceRecord[], timeoutMs: number, criticality: Criticality = 'SHEDDABLE'): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const waiter = { records, deadlineAt: Date.now() + timeoutMs, resolve, reject };
      if (this.#lingerMs <= 0) {
        this.#ready.push(criticality, [waiter]);
        this.#pump();
        return;
      }
      const rank = criticalityRank(criticality);
      let g = this.#pending[rank];
      if (!g) {
        g = { waiters: [], records: 0, timer: undefined };
        this.#pending[rank] = g;
      }
      g.waiters.push(waiter);
      g.records += records.length;
      if (g.records >= this.#maxRecords) this.#close(criticality);
      else g.timer ??= setTimeout(() => this.#close(criticality), this.#lingerMs);
    });
  }

  /** The pending group of `criticality` is complete: it waits for a produce slot. */
  #close(criticality: Criticality): void {
    const rank = criticalityRank(criticality);
    const g = this.#pending[rank];
    if (!g) return;
    clearTimeout(g.timer);
    this.#pending[rank] = undefined;
    this.#ready.push(criticality, g.waiters);
    this.#pump();
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight) {
      const next = this.#ready.shift();
      if (!next) return;
      const group = next.item;
      const budget = Math.min(...group.map((w) => w.deadlineAt)) - Date.now();
      if (budget <= 0) {
        const err = new SpillwayError(
          'SPW_ERR_KAFKA_PRODUCE',
          `deadline passed while waiting for a produce slot (${this.#maxInFlight} produces in flight, ${next.criticality} records)`,
          { context: { criticality: next.criticality } },
        );
        for (const w of group) w.reject(err);
        continue;
      }
      this.#inFlight++;
      const all = group.length === 1 ? group[0]!.records : group.flatMap((w) => w.records);
      this.#inner
        .send(all, budget)
        .then(
          (v) => {
            for (const w of group) w.resolve(v);
          },
          (e) => {
            for (const w of group) w.reject(e);
          },
        )
        .finally(() => {
          this.#inFlight--;
          this.#pump();
        });
    }
  }
}
