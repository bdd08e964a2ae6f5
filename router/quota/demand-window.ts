/**
 * Recent demand per logId: records and bytes *asked for* (admitted or not) over a sliding
 * window, as rates per second. Demand rather than admitted traffic, so a logId held down by
 * its lease still shows what it wants and can win a bigger share at the next lease.
 *
 * The window is a ring of `slots` fixed slots of windowMs / slots each; `add` is O(1) and
 * allocation-free on the hot path; `rates` sums the slots still inside the window.
 */
import type { Clock } from '../../core/resilience/clock.ts';
import type { Demand } from './allocation.ts';

/** Ten slots: the window edge moves in 10 % steps, which is smooth enough for a 1 s lease. */
export const DEFAULT_DEMAND_SLOTS = 10;

interface Ring {
  epoch: Float64Array;
  records: Float64Array;
  bytes: Float64Array;
}

export class DemandWindow {
  readonly #slotMs: number;
  readonly #slots: number;
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #rings = new Map<string, Ring>();

  /**
   * @param windowMs width of the window.
   * @param slots ring size. @default 10
   */
  constructor(windowMs: number, clock: Clock, slots = DEFAULT_DEMAND_SLOTS) {
    if (!(windowMs > 0 && slots >= 1)) throw new RangeError(`DemandWindow: need windowMs > 0 and slots >= 1`);
    this.#slotMs = windowMs / slots;
    this.#slots = slots;
    this.#clock = clock;
    this.#startedAt = clock.now();
  }

  /** Records `records` and `bytes` asked for `key` now. */
  add(key: string, records: number, bytes: number): void {
    let ring = this.#rings.get(key);
    if (ring === undefined) {
      ring = {
        epoch: new Float64Array(this.#slots).fill(-1),
        records: new Float64Array(this.#slots),
        bytes: new Float64Array(this.#slots),
      };
      this.#rings.set(key, ring);
    }
    const slot = Math.floor((this.#clock.now() - this.#startedAt) / this.#slotMs);
    const i = slot % this.#slots;
    if (ring.epoch[i] !== slot) {
      ring.epoch[i] = slot;
      ring.records[i] = 0;
      ring.bytes[i] = 0;
    }
    ring.records[i]! += records;
    ring.bytes[i]! += bytes;
  }

  /**
   * Rates per second over the window: the sum of the current slot and the `slots - 1`
   * before it, divided by the time they cover (shorter right after start, so a new router
   * reports its real rate instead of a diluted one). Keys with nothing in the window are
   * left out (and forgotten).
   */
  rates(): Map<string, Demand> {
    const elapsed = this.#clock.now() - this.#startedAt;
    const slot = Math.floor(elapsed / this.#slotMs);
    const covered = Math.max(
      this.#slotMs,
      Math.min(elapsed, (this.#slots - 1) * this.#slotMs + (elapsed - slot * this.#slotMs)),
    );
    const out = new Map<string, Demand>();
    for (const [key, ring] of this.#rings) {
      let records = 0;
      let bytes = 0;
      for (let i = 0; i < this.#slots; i++) {
        if (ring.epoch[i]! > slot - this.#slots) {
          records += ring.records[i]!;
          bytes += ring.bytes[i]!;
        }
      }
      if (records === 0 && bytes === 0) this.#rings.delete(key);
      else out.set(key, { records: (records * 1000) / covered, bytes: (bytes * 1000) / covered });
    }
    return out;
  }
}
