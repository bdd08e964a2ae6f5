/**
 * Criticality: how bad it is to drop a batch, derived from the logId's importance (S > A > B
 * > C) and the record's level class. Carried with every batch; under overload the lowest
 * goes first and CRITICAL_PLUS goes last.
 *
 * The four values are the ones Google uses, see the SRE book, "Handling Overload",
 * section "Criticality": https://sre.google/sre-book/handling-overload/
 */

/** Every criticality, highest first. */
export const CRITICALITIES = ['CRITICAL_PLUS', 'CRITICAL', 'SHEDDABLE_PLUS', 'SHEDDABLE'] as const;

export type Criticality = (typeof CRITICALITIES)[number];

/** A logId's importance tier, as configured (S is the highest). */
export type Importance = 'S' | 'A' | 'B' | 'C';

/** The level classes the table below knows; any other configured class counts as `info`. */
type LevelKind = 'error' | 'warn' | 'info';

/**
 * The criticality table. Rows are importance, columns the level class:
 *
 * | importance | error          | warn           | info (anything else) |
 * |------------|----------------|----------------|----------------------|
 * | S          | CRITICAL_PLUS  | CRITICAL       | CRITICAL             |
 * | A          | CRITICAL       | SHEDDABLE_PLUS | SHEDDABLE_PLUS       |
 * | B          | SHEDDABLE_PLUS | SHEDDABLE      | SHEDDABLE            |
 * | C          | SHEDDABLE      | SHEDDABLE      | SHEDDABLE            |
 *
 * Why this shape: errors are what an on-call reads during an incident, so an error is worth
 * one step more than a warning of the same service; an S-tier service's warnings and info
 * are still CRITICAL because the S tier is by definition the services whose logs must
 * arrive; C-tier is best effort by definition, so even its errors are SHEDDABLE. Only S errors are
 * CRITICAL_PLUS, which keeps that class small: if most traffic were top criticality,
 * criticality-aware shedding would have nothing to choose between.
 */
const TABLE: Readonly<Record<Importance, Readonly<Record<LevelKind, Criticality>>>> = {
  S: { error: 'CRITICAL_PLUS', warn: 'CRITICAL', info: 'CRITICAL' },
  A: { error: 'CRITICAL', warn: 'SHEDDABLE_PLUS', info: 'SHEDDABLE_PLUS' },
  B: { error: 'SHEDDABLE_PLUS', warn: 'SHEDDABLE', info: 'SHEDDABLE' },
  C: { error: 'SHEDDABLE', warn: 'SHEDDABLE', info: 'SHEDDABLE' },
};

/** Rank of each criticality: higher number = more critical. */
const RANK: Readonly<Record<Criticality, number>> = {
  CRITICAL_PLUS: 3,
  CRITICAL: 2,
  SHEDDABLE_PLUS: 1,
  SHEDDABLE: 0,
};

/**
 * The criticality of a record of a logId with `importance` at level class `levelClass`
 * (see the table above). Level classes are configurable, so `levelClass` is a string: the
 * class named `error` counts as error, `warn` as warn, any other name as info.
 */
export function criticalityOf(importance: Importance, levelClass: string): Criticality {
  const row = TABLE[importance];
  if (row === undefined) throw new RangeError(`criticalityOf: unknown importance ${JSON.stringify(importance)}`);
  const kind: LevelKind = levelClass === 'error' ? 'error' : levelClass === 'warn' ? 'warn' : 'info';
  return row[kind];
}

/** 3 for CRITICAL_PLUS down to 0 for SHEDDABLE. */
export function criticalityRank(c: Criticality): number {
  return RANK[c];
}

/**
 * Positive when `a` is more critical than `b`, negative when less, 0 when equal. So
 * `list.sort(compareCriticality)` orders lowest first (the shedding order).
 */
export function compareCriticality(a: Criticality, b: Criticality): number {
  return RANK[a] - RANK[b];
}

/**
 * The criticality of a batch: the highest among its records, so a batch carrying one
 * CRITICAL_PLUS record is CRITICAL_PLUS (shedding the batch would shed that record). An
 * empty batch is SHEDDABLE: it carries nothing worth protecting.
 */
export function batchCriticality(list: Iterable<Criticality>): Criticality {
  let best: Criticality = 'SHEDDABLE';
  for (const c of list) {
    if (RANK[c] > RANK[best]) best = c;
    if (best === 'CRITICAL_PLUS') break;
  }
  return best;
}
