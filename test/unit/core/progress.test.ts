import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../../core/progress.ts';

function sink(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream };
}

describe('ProgressBar', () => {
  it('renders done/total with a 30-character bar', () => {
    const bar = new ProgressBar('replay', 200, sink(false).stream);
    expect(bar.render(0)).toBe(`replay [${'.'.repeat(30)}] 0/200 (0%)`);
    expect(bar.render(100)).toBe(`replay [${'#'.repeat(15)}${'.'.repeat(15)}] 100/200 (50%)`);
    expect(bar.render(200)).toBe(`replay [${'#'.repeat(30)}] 200/200 (100%)`);
  });

  it('prints at most one line per 10% when not on a terminal', () => {
    const s = sink(false);
    const bar = new ProgressBar('x', 1000, s.stream);
    for (let i = 0; i <= 1000; i += 7) bar.update(i);
    bar.finish(1000);
    expect(s.out).toHaveLength(11);
    expect(s.out.at(-1)).toBe(`x [${'#'.repeat(30)}] 1000/1000 (100%)\n`);
  });

  it('redraws in place on a terminal', () => {
    const s = sink(true);
    const bar = new ProgressBar('x', 10, s.stream);
    bar.update(5);
    bar.finish(10);
    expect(s.out).toEqual([
      `\rx [${'#'.repeat(15)}${'.'.repeat(15)}] 5/10 (50%)`,
      `\rx [${'#'.repeat(30)}] 10/10 (100%)`,
      '\n',
    ]);
  });
});
