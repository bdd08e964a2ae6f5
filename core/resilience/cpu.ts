/**
 * CPU usage of this container (or process), as a fraction of the CPU it is allowed to use,
 * smoothed by an exponential moving average. The overload limiter's "is CPU the
 * bottleneck" signal.
 *
 * Kratos' BBR samples CPU every 250 ms and smooths with decay 0.95
 * (https://github.com/go-kratos/aegis/tree/main/ratelimit/bbr). Kratos reads the cgroup v1
 * cpuacct files; Spillway reads cgroup v2, where a container's allowance is `cpu.max`
 * (quota and period in µs) and its usage is `usage_usec` in `cpu.stat`
 * (https://docs.kernel.org/admin-guide/cgroup-v2.html#cpu-interface-files). Outside a
 * cgroup v2 (macOS, cgroup v1) it falls back to `process.cpuUsage()` over the host's CPUs.
 */
import fs from 'node:fs';
import os from 'node:os';
import { type Clock, systemClock } from './clock.ts';

/** Kratos' BBR smoothing factor: each 250 ms sample moves the average by 5 %. */
export const DEFAULT_CPU_DECAY = 0.95;
/** Kratos' BBR sampling period. */
export const DEFAULT_CPU_SAMPLE_INTERVAL_MS = 250;
/** Where cgroup v2 is mounted inside a container (and for the root cgroup on a host). */
export const DEFAULT_CGROUP_DIR = '/sys/fs/cgroup';

/** Reads a whole text file; throws (any error) when it does not exist. */
export type ReadTextFile = (path: string) => string;

export interface CpuSamplerOptions {
  /** @default DEFAULT_CPU_DECAY (0.95) */
  decay?: number;
  /** @default DEFAULT_CPU_SAMPLE_INTERVAL_MS (250) */
  intervalMs?: number;
  /** @default DEFAULT_CGROUP_DIR ('/sys/fs/cgroup') */
  cgroupDir?: string;
  /** @default fs.readFileSync(path, 'utf8') */
  readFile?: ReadTextFile;
  /** Fallback usage counter, µs of CPU used by this process. @default process.cpuUsage() user + system */
  processUsageUsec?: () => number;
  /** CPUs usable when no quota applies. @default os.availableParallelism() */
  parallelism?: () => number;
  /** @default systemClock */
  clock?: Clock;
}

/** Where the usage counter came from: a cgroup v2 cpu.stat, or this process only. */
export type CpuSource = 'cgroup' | 'process';

export class CpuSampler {
  readonly #decay: number;
  readonly #intervalMs: number;
  readonly #statPath: string;
  readonly #maxPath: string;
  readonly #readFile: ReadTextFile;
  readonly #processUsageUsec: () => number;
  readonly #parallelism: () => number;
  readonly #clock: Clock;
  #source: CpuSource | undefined;
  #prev: { usageUsec: number; atMs: number } | undefined;
  #ema = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: CpuSamplerOptions = {}) {
    const decay = options.decay ?? DEFAULT_CPU_DECAY;
    if (!(decay >= 0 && decay < 1)) throw new RangeError(`CpuSampler: decay must be in [0, 1), got ${decay}`);
    this.#decay = decay;
    this.#intervalMs = options.intervalMs ?? DEFAULT_CPU_SAMPLE_INTERVAL_MS;
    const dir = options.cgroupDir ?? DEFAULT_CGROUP_DIR;
    this.#statPath = `${dir}/cpu.stat`;
    this.#maxPath = `${dir}/cpu.max`;
    this.#readFile = options.readFile ?? ((path) => fs.readFileSync(path, 'utf8'));
    this.#processUsageUsec =
      options.processUsageUsec ??
      (() => {
        const u = process.cpuUsage();
        return u.user + u.system;
      });
    this.#parallelism = options.parallelism ?? (() => os.availableParallelism());
    this.#clock = options.clock ?? systemClock;
  }

  /** The smoothed usage in [0, 1]; 0 until two samples have been taken. */
  current(): number {
    return this.#ema;
  }

  /** Which counter the sampler uses; decided on the first sample and kept, so deltas never mix sources. */
  get source(): CpuSource | undefined {
    return this.#source;
  }

  /**
   * Takes one sample: usage since the previous sample as a fraction of the allowed CPU
   * time in between, clamped to [0, 1], folded into the average as
   * `ema = ema * decay + usage * (1 - decay)`. The first sample only sets the baseline.
   * A sample whose files cannot be read is skipped. Returns the new average.
   */
  sample(): number {
    const atMs = this.#clock.now();
    const reading = this.#read();
    if (reading === undefined) return this.#ema;
    const prev = this.#prev;
    this.#prev = { usageUsec: reading.usageUsec, atMs };
    if (prev === undefined) return this.#ema;
    const elapsedUsec = (atMs - prev.atMs) * 1000;
    if (!(elapsedUsec > 0)) return this.#ema;
    const usage = clamp01((reading.usageUsec - prev.usageUsec) / (elapsedUsec * reading.cpus));
    this.#ema = this.#ema * this.#decay + usage * (1 - this.#decay);
    return this.#ema;
  }

  /** Samples every `intervalMs` on an unref'd timer (it never keeps the process alive). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #read(): { usageUsec: number; cpus: number } | undefined {
    if (this.#source === undefined) {
      this.#source = this.#readCgroup() === undefined ? 'process' : 'cgroup';
    }
    if (this.#source === 'process') return { usageUsec: this.#processUsageUsec(), cpus: this.#parallelism() };
    return this.#readCgroup();
  }

  #readCgroup(): { usageUsec: number; cpus: number } | undefined {
    let stat: string;
    try {
      stat = this.#readFile(this.#statPath);
    } catch {
      return undefined;
    }
    const usageUsec = parseUsageUsec(stat);
    if (usageUsec === undefined) return undefined;
    let max: string | undefined;
    try {
      max = this.#readFile(this.#maxPath);
    } catch {
      // The root cgroup has no cpu.max: no quota.
      max = undefined;
    }
    const cpus = (max === undefined ? undefined : parseCpuMax(max)) ?? this.#parallelism();
    return { usageUsec, cpus };
  }
}

/** `usage_usec` from a cgroup v2 cpu.stat, or undefined when missing. */
export function parseUsageUsec(cpuStat: string): number | undefined {
  const match = /^usage_usec\s+(\d+)\s*$/m.exec(cpuStat);
  return match === null ? undefined : Number(match[1]);
}

/**
 * CPUs allowed by a cgroup v2 cpu.max (`$QUOTA $PERIOD`, e.g. `150000 100000` = 1.5 CPUs);
 * undefined for `max` (no quota) or anything unparsable.
 */
export function parseCpuMax(cpuMax: string): number | undefined {
  const match = /^(\d+)\s+(\d+)\s*$/.exec(cpuMax.trim());
  if (match === null) return undefined;
  const quota = Number(match[1]);
  const period = Number(match[2]);
  return quota > 0 && period > 0 ? quota / period : undefined;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
