import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../../core/resilience/clock.ts';
import { CpuSampler, parseCpuMax, parseUsageUsec } from '../../../../core/resilience/cpu.ts';

/** A fake /sys/fs/cgroup: files the test rewrites between samples. */
function fakeCgroup(files: Record<string, string>) {
  return (path: string): string => {
    const content = files[path];
    if (content === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return content;
  };
}

const stat = (usec: number) => `usage_usec ${usec}\nuser_usec ${usec - 10}\nsystem_usec 10\nnr_periods 0\n`;

describe('cpu.stat and cpu.max parsing', () => {
  it('reads usage_usec', () => {
    expect(parseUsageUsec(stat(123_456))).toBe(123_456);
    expect(parseUsageUsec('user_usec 5\n')).toBeUndefined();
  });

  const table: [string, number | undefined][] = [
    ['100000 100000\n', 1],
    ['150000 100000', 1.5],
    ['50000 100000', 0.5],
    ['max 100000\n', undefined],
    ['garbage', undefined],
    ['0 100000', undefined],
  ];
  it.each(table)('cpu.max %j -> %s CPUs', (content, expected) => {
    expect(parseCpuMax(content)).toBe(expected);
  });
});

describe('CpuSampler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('cgroup v2: usage of the quota between samples, smoothed with decay 0.95', () => {
    const files: Record<string, string> = {
      '/sys/fs/cgroup/cpu.stat': stat(1_000_000),
      '/sys/fs/cgroup/cpu.max': '100000 100000\n',
    };
    const clock = new ManualClock();
    const sampler = new CpuSampler({ readFile: fakeCgroup(files), clock, parallelism: () => 4 });

    expect(sampler.sample()).toBe(0); // baseline only
    expect(sampler.source).toBe('cgroup');

    // 125 ms of CPU in 250 ms on a 1-CPU quota: 0.5 -> ema = 0 * 0.95 + 0.5 * 0.05
    files['/sys/fs/cgroup/cpu.stat'] = stat(1_125_000);
    clock.advance(250);
    expect(sampler.sample()).toBeCloseTo(0.025, 15);

    // 250 ms of CPU in 250 ms on a 2-CPU quota: 0.5 -> 0.025 * 0.95 + 0.025
    files['/sys/fs/cgroup/cpu.max'] = '200000 100000\n';
    files['/sys/fs/cgroup/cpu.stat'] = stat(1_375_000);
    clock.advance(250);
    expect(sampler.sample()).toBeCloseTo(0.04875, 15);

    // No quota ('max'): 4 CPUs from parallelism; 1000 ms of CPU in 250 ms = 1.0
    files['/sys/fs/cgroup/cpu.max'] = 'max 100000\n';
    files['/sys/fs/cgroup/cpu.stat'] = stat(2_375_000);
    clock.advance(250);
    expect(sampler.sample()).toBeCloseTo(0.04875 * 0.95 + 0.05, 15);

    // Above the quota (throttling lag) clamps to 1.
    files['/sys/fs/cgroup/cpu.max'] = '100000 100000';
    files['/sys/fs/cgroup/cpu.stat'] = stat(3_375_000);
    clock.advance(250);
    expect(sampler.sample()).toBeCloseTo((0.04875 * 0.95 + 0.05) * 0.95 + 0.05, 15);
    expect(sampler.current()).toBeCloseTo((0.04875 * 0.95 + 0.05) * 0.95 + 0.05, 15);
  });

  it('no cpu.max (root cgroup) counts as no quota', () => {
    const files: Record<string, string> = { '/sys/fs/cgroup/cpu.stat': stat(0) };
    const clock = new ManualClock();
    const sampler = new CpuSampler({ readFile: fakeCgroup(files), clock, parallelism: () => 2, decay: 0.5 });
    sampler.sample();
    files['/sys/fs/cgroup/cpu.stat'] = stat(250_000); // 250 ms over 250 ms x 2 CPUs = 0.5
    clock.advance(250);
    expect(sampler.sample()).toBe(0.25);
  });

  it('falls back to process.cpuUsage over the host CPUs without cgroup v2', () => {
    let usec = 0;
    const clock = new ManualClock();
    const sampler = new CpuSampler({
      readFile: fakeCgroup({}),
      processUsageUsec: () => usec,
      parallelism: () => 2,
      clock,
      decay: 0.5,
    });
    sampler.sample();
    expect(sampler.source).toBe('process');
    usec = 100_000; // 100 ms over 250 ms x 2 CPUs = 0.2
    clock.advance(250);
    expect(sampler.sample()).toBe(0.1);
  });

  it('skips a sample whose files cannot be read, and a sample with no elapsed time', () => {
    const files: Record<string, string> = { '/sys/fs/cgroup/cpu.stat': stat(0), '/sys/fs/cgroup/cpu.max': 'max' };
    const clock = new ManualClock();
    const sampler = new CpuSampler({ readFile: fakeCgroup(files), clock, parallelism: () => 1, decay: 0.5 });
    sampler.sample();
    delete files['/sys/fs/cgroup/cpu.stat'];
    clock.advance(250);
    expect(sampler.sample()).toBe(0);
    files['/sys/fs/cgroup/cpu.stat'] = stat(250_000); // still measured from the baseline at t=0
    clock.advance(250);
    expect(sampler.sample()).toBe(0.25);
    expect(sampler.sample()).toBe(0.25); // no time passed
  });

  it('start() samples every 250 ms on an unref-ed timer; stop() ends it', () => {
    vi.useFakeTimers();
    let usec = 0;
    const sampler = new CpuSampler({
      readFile: fakeCgroup({}),
      processUsageUsec: () => usec,
      parallelism: () => 1,
      clock: { now: () => Date.now() },
      decay: 0.5,
    });
    sampler.start();
    sampler.start(); // idempotent: one timer
    expect(vi.getTimerCount()).toBe(1);
    usec = 250_000;
    vi.advanceTimersByTime(250);
    expect(sampler.current()).toBe(0.5);
    usec = 250_000; // idle
    vi.advanceTimersByTime(250);
    expect(sampler.current()).toBe(0.25);
    sampler.stop();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1_000);
    expect(sampler.current()).toBe(0.25);
  });

  it('validates decay', () => {
    expect(() => new CpuSampler({ decay: 1 })).toThrow('CpuSampler: decay must be in [0, 1), got 1');
  });
});
