/**
 * Overload admission for the gateway: the BBR-style limiter of core/resilience fed by the
 * process's CPU sampler. A batch is admitted or shed by its criticality (the highest of its
 * records), so under overload C/INFO traffic goes first and S/ERROR last.
 */
import { CpuSampler } from '../core/resilience/cpu.ts';
import type { Criticality } from '../core/resilience/criticality.ts';
import { OverloadLimiter, type OverloadLimiterOptions } from '../core/resilience/overload-limiter.ts';
import type { Telemetry } from '../core/telemetry.ts';
import type { Admission } from './gateway/server.ts';

/** How often the CPU gauge is refreshed for /metrics. */
const CPU_GAUGE_INTERVAL_MS = 1_000;

export function limiterAdmission(limiter: OverloadLimiter): Admission {
  return {
    tryAcquire(criticality: Criticality) {
      const r = limiter.tryAcquire(criticality);
      return r.ok ? r : { ok: false, retryAfterMs: r.retryAfterMs };
    },
  };
}

/** The production admission: samples CPU every 250 ms and sheds above the limiter's threshold. */
export function cpuAdmission(
  telemetry: Telemetry,
  options: Partial<OverloadLimiterOptions> = {},
): Admission & { stop(): void } {
  const cpu = new CpuSampler();
  cpu.start();
  const limiter = new OverloadLimiter({ ...options, cpu: () => cpu.current() });
  const gauge = setInterval(() => telemetry.set('spillway_cpu_usage_ratio', cpu.current()), CPU_GAUGE_INTERVAL_MS);
  gauge.unref();
  return {
    ...limiterAdmission(limiter),
    stop() {
      cpu.stop();
      clearInterval(gauge);
    },
  };
}
