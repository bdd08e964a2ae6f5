import { describe, expect, it } from 'vitest';
import { splitLines } from '../../../core/lines.ts';

describe('splitLines', () => {
  it.each([
    ['a\nbb\nccc\n', ['a', 'bb', 'ccc']],
    ['a\nbb', ['a', 'bb']],
    ['\n\na\n\n', ['a']],
    ['', []],
  ])('%j -> %j', (body, lines) => {
    expect(splitLines(Buffer.from(body)).map((b) => b.toString())).toEqual(lines);
  });
});
