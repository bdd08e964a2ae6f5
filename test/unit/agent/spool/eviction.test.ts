import { describe, expect, it } from 'vitest';
import { planEviction } from '../../../../agent/spool/eviction.ts';
import type { Criticality } from '../../../../core/resilience/criticality.ts';

interface E {
  id: string;
  criticality: Criticality;
  bytes: number;
}
const RANKS: Criticality[] = ['SHEDDABLE', 'SHEDDABLE_PLUS', 'CRITICAL', 'CRITICAL_PLUS'];
const lanesOf = (entries: E[]) => RANKS.map((c) => entries.filter((e) => e.criticality === c));
const e = (id: string, criticality: Criticality, bytes = 10): E => ({ id, criticality, bytes });

describe('planEviction', () => {
  const held = [
    e('c1', 'CRITICAL'),
    e('s1', 'SHEDDABLE'),
    e('sp1', 'SHEDDABLE_PLUS'),
    e('s2', 'SHEDDABLE'),
    e('c2', 'CRITICAL'),
  ];
  const lanes = lanesOf(held);
  it.each([
    ['room left: nothing evicted', 60, e('n', 'SHEDDABLE'), { ok: true, victims: [] }],
    ['exactly full after: nothing evicted', 60, e('n', 'SHEDDABLE', 10), { ok: true, victims: [] }],
    ['lowest, oldest first', 50, e('n', 'CRITICAL_PLUS'), { ok: true, victims: ['s1'] }],
    ['as many as needed', 50, e('n', 'CRITICAL_PLUS', 25), { ok: true, victims: ['s1', 's2', 'sp1'] }],
    ['only strictly lower ones', 50, e('n', 'SHEDDABLE_PLUS', 20), { ok: true, victims: ['s1', 's2'] }],
    ['not enough lower: rejected', 50, e('n', 'SHEDDABLE_PLUS', 21), { ok: false, reason: 'rejected' }],
    ['lowest criticality itself: rejected', 50, e('n', 'SHEDDABLE'), { ok: false, reason: 'rejected' }],
    ['same as the lowest present: rejected', 50, e('n', 'SHEDDABLE', 1), { ok: false, reason: 'rejected' }],
    ['larger than the spool', 50, e('n', 'CRITICAL_PLUS', 51), { ok: false, reason: 'too-large' }],
  ])('%s', (_name, maxBytes, incoming, expected) => {
    const plan = planEviction(lanes, 50, maxBytes, incoming);
    expect(plan.ok ? { ok: true, victims: plan.victims.map((v) => v.id) } : plan).toEqual(expected);
  });
});
