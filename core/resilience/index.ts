/**
 * core/resilience: the overload and fairness primitives shared by the router, the agent
 * and the sinks. Pure logic; time and randomness are injected.
 */
export * from './adaptive-throttle.ts';
export * from './backoff.ts';
export * from './bounded-queue.ts';
export * from './clock.ts';
export * from './cpu.ts';
export * from './criticality.ts';
export * from './deadline.ts';
export * from './max-min.ts';
export * from './overload-limiter.ts';
export * from './priority-lanes.ts';
export * from './token-bucket.ts';
