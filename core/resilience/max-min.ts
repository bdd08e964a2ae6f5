/**
 * Weighted max-min fair allocation (water-filling), for splitting a quota (a sink's
 * capacity, a cluster's produce budget) among logIds or departments.
 *
 * Each claimant's fair share is capacity x its weight / the total weight. A claimant that
 * wants less than its fair share gets all it wants, and what it leaves is shared again, by
 * weight, among the others; the rest are capped at their (growing) share. The result is the
 * unique allocation in which no claimant can get more without taking from one that has no
 * more per unit of weight than it (max-min fairness, Bertsekas & Gallager, "Data Networks",
 * chapter 6 on flow control). The SRE
 * book's "Handling Overload" asks for per-customer limits of this kind so that one
 * noisy tenant cannot starve the others.
 */

/** A claimant's request: how much it wants, and its weight (> 0; 1 for plain max-min). */
export interface Demand {
  demand: number;
  weight: number;
}

/**
 * Allocates `capacity` among `demands` (same keys in the result, in the same order).
 *
 * - If the demands add up to at most `capacity`, every claimant gets its demand.
 * - Otherwise the whole capacity is handed out, nobody gets more than its demand, and
 *   claimants that are capped get the same amount per unit of weight.
 * - The sum of the result never exceeds `capacity`, also in floating point.
 *
 * @throws RangeError when capacity or a demand is negative or NaN, or a weight is not a finite number > 0.
 */
export function maxMinFair(capacity: number, demands: ReadonlyMap<string, Demand>): Map<string, number> {
  if (!(capacity >= 0)) throw new RangeError(`maxMinFair: capacity must be >= 0, got ${capacity}`);
  let total = 0;
  for (const [key, { demand, weight }] of demands) {
    if (!(demand >= 0 && Number.isFinite(demand))) {
      throw new RangeError(`maxMinFair: demand of ${JSON.stringify(key)} must be a finite number >= 0, got ${demand}`);
    }
    if (!(weight > 0 && Number.isFinite(weight))) {
      throw new RangeError(`maxMinFair: weight of ${JSON.stringify(key)} must be a finite number > 0, got ${weight}`);
    }
    total += demand;
  }
  const result = new Map<string, number>();
  if (total <= capacity) {
    for (const [key, { demand }] of demands) result.set(key, demand);
    return result;
  }

  // Water-filling in one pass: visit claimants by demand per unit of weight, smallest first.
  // Each is compared with its share of what is left; once one is capped, everyone after it
  // (wanting at least as much per weight) is capped too and shares the rest by weight.
  const order = [...demands].sort(([, a], [, b]) => a.demand / a.weight - b.demand / b.weight);
  let remaining = capacity;
  let weightLeft = 0;
  for (const [, d] of order) weightLeft += d.weight;
  let i = 0;
  for (; i < order.length; i++) {
    const [key, { demand, weight }] = order[i]!;
    if (demand > (remaining * weight) / weightLeft) break;
    result.set(key, demand);
    remaining = Math.max(0, remaining - demand);
    weightLeft -= weight;
  }
  const perWeight = remaining / weightLeft;
  for (let j = i; j < order.length; j++) {
    const [key, { demand, weight }] = order[j]!;
    result.set(key, Math.min(demand, perWeight * weight));
  }

  // Rounding can leave the sum an ulp or two above capacity; take it off the largest share.
  const ordered = new Map<string, number>();
  for (const key of demands.keys()) ordered.set(key, result.get(key)!);
  for (let guard = 0; guard < 8; guard++) {
    let sum = 0;
    for (const v of ordered.values()) sum += v;
    if (sum <= capacity) break;
    let largestKey = '';
    let largest = -1;
    for (const [k, v] of ordered) {
      if (v > largest) {
        largest = v;
        largestKey = k;
      }
    }
    const excess = Math.max(sum - capacity, largest * Number.EPSILON);
    ordered.set(largestKey, Math.max(0, largest - excess));
  }
  return ordered;
}
