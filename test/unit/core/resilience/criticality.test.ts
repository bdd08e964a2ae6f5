import { describe, expect, it } from 'vitest';
import {
  batchCriticality,
  CRITICALITIES,
  type Criticality,
  compareCriticality,
  criticalityOf,
  criticalityRank,
  type Importance,
} from '../../../../core/resilience/criticality.ts';

describe('criticalityOf', () => {
  const table: [Importance, string, Criticality][] = [
    ['S', 'error', 'CRITICAL_PLUS'],
    ['S', 'warn', 'CRITICAL'],
    ['S', 'info', 'CRITICAL'],
    ['A', 'error', 'CRITICAL'],
    ['A', 'warn', 'SHEDDABLE_PLUS'],
    ['A', 'info', 'SHEDDABLE_PLUS'],
    ['B', 'error', 'SHEDDABLE_PLUS'],
    ['B', 'warn', 'SHEDDABLE'],
    ['B', 'info', 'SHEDDABLE'],
    ['C', 'error', 'SHEDDABLE'],
    ['C', 'warn', 'SHEDDABLE'],
    ['C', 'info', 'SHEDDABLE'],
    // Configured class names other than error/warn count as info.
    ['S', 'debug', 'CRITICAL'],
    ['A', 'audit', 'SHEDDABLE_PLUS'],
    ['S', 'ERROR', 'CRITICAL'],
  ];
  it.each(table)('%s + %s -> %s', (importance, levelClass, expected) => {
    expect(criticalityOf(importance, levelClass)).toBe(expected);
  });

  it('rejects an unknown importance', () => {
    expect(() => criticalityOf('D' as Importance, 'error')).toThrow('criticalityOf: unknown importance "D"');
  });
});

describe('ordering', () => {
  it('CRITICALITIES is highest first and ranks 3..0', () => {
    expect(CRITICALITIES.map(criticalityRank)).toEqual([3, 2, 1, 0]);
  });

  it('sorting with compareCriticality puts the lowest (first shed) first', () => {
    const list: Criticality[] = ['CRITICAL', 'SHEDDABLE', 'CRITICAL_PLUS', 'SHEDDABLE_PLUS'];
    expect(list.sort(compareCriticality)).toEqual(['SHEDDABLE', 'SHEDDABLE_PLUS', 'CRITICAL', 'CRITICAL_PLUS']);
    expect(compareCriticality('CRITICAL', 'CRITICAL')).toBe(0);
    expect(compareCriticality('CRITICAL_PLUS', 'SHEDDABLE')).toBe(3);
  });
});

describe('batchCriticality', () => {
  const table: [Criticality[], Criticality][] = [
    [[], 'SHEDDABLE'],
    [['SHEDDABLE', 'SHEDDABLE'], 'SHEDDABLE'],
    [['SHEDDABLE', 'CRITICAL', 'SHEDDABLE_PLUS'], 'CRITICAL'],
    [['SHEDDABLE', 'SHEDDABLE', 'CRITICAL_PLUS', 'SHEDDABLE'], 'CRITICAL_PLUS'],
  ];
  it.each(table)('%j -> %s', (list, expected) => {
    expect(batchCriticality(list)).toBe(expected);
  });

  it('accepts any iterable', () => {
    expect(batchCriticality(new Set<Criticality>(['SHEDDABLE_PLUS']))).toBe('SHEDDABLE_PLUS');
  });
});
