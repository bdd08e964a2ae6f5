/**
 * Groups items per key (a sink's destination key, the agent's uplink) into batches by count, bytes and linger time, so
 * each destination request is full but no record waits longer than lingerMs.
 */
export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
  lingerMs: number;
}

interface Open<T> {
  records: T[];
  bytes: number;
  timer: NodeJS.Timeout;
}

export class Batcher<T> {
  readonly #limits: BatchLimits;
  readonly #size: (item: T) => number;
  readonly #emit: (key: string, items: T[]) => void;
  readonly #open = new Map<string, Open<T>>();

  constructor(limits: BatchLimits, size: (item: T) => number, emit: (key: string, items: T[]) => void) {
    this.#limits = limits;
    this.#size = size;
    this.#emit = emit;
  }

  add(key: string, record: T): void {
    const bytes = this.#size(record);
    let o = this.#open.get(key);
    if (o && o.bytes + bytes > this.#limits.maxBytes && o.records.length > 0) {
      this.#flushKey(key);
      o = undefined;
    }
    if (!o) {
      o = { records: [], bytes: 0, timer: setTimeout(() => this.#flushKey(key), this.#limits.lingerMs) };
      this.#open.set(key, o);
    }
    o.records.push(record);
    o.bytes += bytes;
    if (o.records.length >= this.#limits.maxRecords || o.bytes >= this.#limits.maxBytes) this.#flushKey(key);
  }

  /** Emits every open batch now (shutdown, or before a commit that must include them). */
  flushAll(): void {
    for (const key of [...this.#open.keys()]) this.#flushKey(key);
  }

  get openRecords(): number {
    let n = 0;
    for (const o of this.#open.values()) n += o.records.length;
    return n;
  }

  #flushKey(key: string): void {
    const o = this.#open.get(key);
    if (!o) return;
    clearTimeout(o.timer);
    this.#open.delete(key);
    if (o.records.length > 0) this.#emit(key, o.records);
  }
}
