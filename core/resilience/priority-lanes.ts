/**
 * Priority lanes: one FIFO per criticality, served by strict priority with a floor, so the
 * highest criticality that has work goes first and a lower one is slowed but never starved.
 * Every place where Spillway's work waits for a slot (a sink's destination requests, the
 * agent's uplink, the router's produce requests) takes its next item from one of these
 * (DESIGN.md invariant 3; issue #11).
 *
 * The policy, per `shift()`:
 *
 *     top       = the highest lane with items
 *     for every other lane l with items:  credit[l] += floorPermille
 *     if some lane l below top has credit[l] >= 1000:
 *         serve the one with the most credit (ties: the higher lane), credit[l] -= 1000
 *     else serve top
 *     a lane without items keeps no credit (no banking while idle)
 *
 * So while the top lane is saturated, each lower lane with items gets one turn in every
 * 1000 / floorPermille (10 turns at the default 10 %): at least the floor, and nothing more
 * than the floor unless the higher lanes run dry, in which case it gets everything (strict
 * priority wastes no capacity). Why strict priority with a floor rather than weighted fair
 * queuing: the channel that must not wait (ERROR of an S service) is a trickle next to the
 * INFO flood, so under WFQ with any weight it still waits for its share of turns behind the
 * flood's queued batches; with strict priority it waits for one free slot at most. The
 * floor bounds what that costs the flood (measured in bench/channels.ts, docs/benchmarks.md).
 */
import { CRITICALITIES, type Criticality, criticalityRank } from './criticality.ts';

/** 10 % of turns for each lower lane with work: the default, slow but never starved. */
export const DEFAULT_PRIORITY_FLOOR_PCT = 10;

/** Lanes: one per criticality, index = criticalityRank (3 = CRITICAL_PLUS). */
const LANES = CRITICALITIES.length;
const WHOLE = 1000;

/**
 * The policy above on its own, for queues that keep their items elsewhere (the agent's disk
 * spool): `pick` says which lane goes next, given which lanes have items.
 */
export class FloorScheduler {
  readonly #floorPermille: number;
  readonly #credit: number[] = new Array<number>(LANES).fill(0);

  /** @param floorPct share of turns each lower lane with work is guaranteed, 0 < floorPct <= 50. @default DEFAULT_PRIORITY_FLOOR_PCT */
  constructor(floorPct = DEFAULT_PRIORITY_FLOOR_PCT) {
    if (!(floorPct > 0 && floorPct <= 50))
      throw new RangeError(`priority floor: floorPct must be in (0, 50], got ${floorPct}`);
    this.#floorPermille = Math.round(floorPct * 10);
  }

  /** The criticality whose lane goes next; undefined when no lane has items. */
  pick(hasItems: (c: Criticality) => boolean): Criticality | undefined {
    let top = -1;
    const has: boolean[] = [];
    for (let r = LANES - 1; r >= 0; r--) {
      has[r] = hasItems(CRITICALITIES[LANES - 1 - r]!);
      if (!has[r]) this.#credit[r] = 0;
      else if (top < 0) top = r;
    }
    if (top < 0) return undefined;
    let pick = top;
    let best = WHOLE - 1;
    for (let r = top - 1; r >= 0; r--) {
      if (!has[r]) continue;
      this.#credit[r]! += this.#floorPermille;
      if (this.#credit[r]! > best) {
        best = this.#credit[r]!;
        pick = r;
      }
    }
    if (pick !== top) this.#credit[pick]! -= WHOLE;
    return CRITICALITIES[LANES - 1 - pick]!;
  }

  reset(): void {
    this.#credit.fill(0);
  }
}

export class PriorityLanes<T> {
  readonly #scheduler: FloorScheduler;
  readonly #lanes: T[][] = Array.from({ length: LANES }, () => []);
  #size = 0;

  /** @param floorPct share of turns each lower lane with work is guaranteed, 0 < floorPct <= 50. @default DEFAULT_PRIORITY_FLOOR_PCT */
  constructor(floorPct = DEFAULT_PRIORITY_FLOOR_PCT) {
    this.#scheduler = new FloorScheduler(floorPct);
  }

  get size(): number {
    return this.#size;
  }

  /** Items waiting in the lane of `c`. */
  sizeOf(c: Criticality): number {
    return this.#lanes[criticalityRank(c)]!.length;
  }

  /** Queues `item` at the tail of its lane. */
  push(c: Criticality, item: T): void {
    this.#lanes[criticalityRank(c)]!.push(item);
    this.#size++;
  }

  /** Puts `item` back at the head of its lane (it was taken but could not go out). */
  unshift(c: Criticality, item: T): void {
    this.#lanes[criticalityRank(c)]!.unshift(item);
    this.#size++;
  }

  /**
   * The next item by the policy above, with its criticality; undefined when empty (or when
   * no lane `eligible` allows has items: a caller that keeps one item of a lane at a time
   * in flight passes the lanes that are free).
   */
  shift(eligible?: (c: Criticality) => boolean): { criticality: Criticality; item: T } | undefined {
    if (this.#size === 0) return undefined;
    const criticality = this.#scheduler.pick((c) => this.sizeOf(c) > 0 && (eligible?.(c) ?? true));
    if (criticality === undefined) return undefined;
    this.#size--;
    return { criticality, item: this.#lanes[criticalityRank(criticality)]!.shift()! };
  }

  /** Removes and returns everything, highest lane first (shutdown). */
  drain(): T[] {
    const out: T[] = [];
    for (let r = LANES - 1; r >= 0; r--) out.push(...this.#lanes[r]!.splice(0));
    this.#scheduler.reset();
    this.#size = 0;
    return out;
  }
}
