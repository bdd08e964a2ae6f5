/**
 * Logging: one pino root logger per process, a child per component. JSON to stdout (what
 * log shippers, including Spillway's own agent, expect); level from SPW_LOG_LEVEL.
 * Secrets never reach it: components log config through config/redact.ts.
 */
import { pino } from 'pino';

export type Logger = pino.Logger;

/** `info`: start-up, provisioning and state changes; per-record events are metrics, not logs. */
export const DEFAULT_LOG_LEVEL = 'info';

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({ level: process.env.SPW_LOG_LEVEL ?? DEFAULT_LOG_LEVEL, base: { pid: process.pid } });
  return root;
}

export function createLogger(component: string): Logger {
  return rootLogger().child({ component });
}
