/** The monitor: lag per sink / logId / topic, metrics and the dashboard. */
import { z } from 'zod';
import { doc, listenSchema } from './common.ts';

export const DEFAULT_MONITOR_PORT = 7072;
/** Prometheus' default scrape interval is 15 s; sampling offsets 3x faster keeps the dashboard current. */
export const DEFAULT_MONITOR_INTERVAL_MS = 5_000;
/** One hour of samples for the dashboard charts (720 points at 5 s). */
export const DEFAULT_MONITOR_HISTORY_MS = 60 * 60 * 1000;

export const monitorSchema = z
  .object({
    listen: listenSchema(DEFAULT_MONITOR_PORT),
    intervalMs: doc(
      z.number().int().min(100).max(600_000).default(DEFAULT_MONITOR_INTERVAL_MS),
      'How often offsets and lag are sampled.',
      DEFAULT_MONITOR_INTERVAL_MS,
    ),
    historyMs: doc(
      z.number().int().min(1000).default(DEFAULT_MONITOR_HISTORY_MS),
      'How much sample history the dashboard keeps in memory.',
      DEFAULT_MONITOR_HISTORY_MS,
    ),
    token: doc(
      z.string().min(1).optional(),
      'Bearer token required by the dashboard and metrics; omit for none.',
      '${SPW_MONITOR_TOKEN}',
    ),
  })
  .strict()
  .prefault({});

export type MonitorConfig = z.output<typeof monitorSchema>;
