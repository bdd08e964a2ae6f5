import { describe, expect, it } from 'vitest';
import { LevelBuffer, levelOfLine, withLogId } from '../../../../agent/pino/transport.ts';

describe('spillway/pino helpers', () => {
  it.each([
    ['{"level":30,"time":1,"msg":"x"}', 30],
    ['{"time":1,"level":50,"msg":"x"}', 50],
    ['{"msg":"no level"}', 30],
  ])('levelOfLine(%s) = %d', (line, level) => {
    expect(levelOfLine(line)).toBe(level);
  });

  it('splices a logId only into lines without one', () => {
    expect(withLogId('{"level":30}', 'svc')).toBe('{"logId":"svc","level":30}');
    expect(withLogId('{"logId":"own","level":30}', 'svc')).toBe('{"logId":"own","level":30}');
    expect(withLogId('{"level":30}', undefined)).toBe('{"level":30}');
  });
});

describe('LevelBuffer', () => {
  it('sheds the oldest line of the lowest level first, and refuses a line lower than all it holds', () => {
    const b = new LevelBuffer(3);
    b.push('i1', 30);
    b.push('e1', 50);
    b.push('i2', 30);
    b.push('e2', 50); // full: i1 goes
    b.push('d1', 20); // lower than everything held: refused
    expect(b.size).toBe(3);
    expect([...b.shed]).toEqual([
      [30, 1],
      [20, 1],
    ]);
    expect(b.take(10)).toEqual(['e1', 'e2', 'i2']);
  });

  it('puts back lines a send failed, highest levels first out again', () => {
    const b = new LevelBuffer(10);
    b.push('{"level":30,"a":1}', 30);
    b.push('{"level":50,"a":2}', 50);
    const out = b.take(2);
    b.unshift(out);
    expect(b.size).toBe(2);
    expect(b.take(1)).toEqual(['{"level":50,"a":2}']);
  });
});
