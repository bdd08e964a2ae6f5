/** The monitor: lag per sink / logId / topic, metrics and the dashboard. */
import { z } from 'zod';
import { doc, expected, listenSchema } from './common.ts';

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
    scrape: doc(
      z
        .array(
          z
            .object({
              name: doc(
                z
                  .string()
                  .regex(
                    /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/,
                    expected('a name of 1-64 letters, digits, ".", "_" or "-"'),
                  ),
                'Name the dashboard shows for this component.',
                'router',
              ),
              url: doc(z.url(expected('an http(s) URL')), 'Its Prometheus endpoint.', 'http://127.0.0.1:7070/metrics'),
            })
            .strict(),
        )
        .max(200)
        .refine((a) => new Set(a.map((t) => t.name)).size === a.length, expected('unique target names'))
        .default([]),
      "Prometheus /metrics of the router, agents and sinks, read every intervalMs: the dashboard charts their shedding by criticality, gutter and dead-letter flow, and each sink's own state (throttled, paused) from them.",
      [
        { name: 'router', url: 'http://127.0.0.1:7070/metrics' },
        { name: 'sink-search', url: 'http://127.0.0.1:7081/metrics' },
      ],
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
