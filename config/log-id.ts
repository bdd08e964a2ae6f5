/** A logId: the unit of ownership and routing. */
import { z } from 'zod';
import { doc, expected, importanceSchema, levelClassesSchema } from './common.ts';

/** logIds become part of dedicated topic names and partition keys, so they are restricted to topic-safe characters. */
export const CONFIG_LOG_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const logIdSchema = z.string().regex(CONFIG_LOG_ID, expected('a logId of 1-64 letters, digits, "_" or "-"'));

export const quotaSchema = doc(
  z
    .object({
      recordsPerSec: doc(z.number().positive(), 'Records per second this logId may send before it is shed.', 5000),
      bytesPerSec: doc(
        z.number().int().positive(),
        'Bytes per second this logId may send before it is shed.',
        5_000_000,
      ),
    })
    .strict(),
  'Rate quota, shared by all routers; omit for no quota.',
  { recordsPerSec: 5000, bytesPerSec: 5_000_000 },
);

export const logIdConfigSchema = z
  .object({
    id: doc(logIdSchema, 'The logId records carry.', 'checkout-api'),
    name: doc(z.string().min(1), 'Human-readable name.', 'Checkout API'),
    owner: doc(z.string().min(1), 'Team or person to page.', 'team-payments'),
    importance: doc(
      importanceSchema,
      'Importance tier, S (most) to C (least); picks the cluster pool and the shedding order.',
      'S',
    ),
    levelClasses: doc(
      levelClassesSchema.optional(),
      'Override of channels.levelClasses for this logId; every level must belong to exactly one class.',
      { all: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
    ),
    sinks: doc(z.array(z.string()).min(1), 'Names of the sinks that receive this logId.', ['search']),
    quota: quotaSchema.optional(),
    dedicated: doc(
      z.boolean().default(false),
      'Give this logId its own topics (bucket d-<logId>) instead of a shared hash bucket.',
      false,
    ),
    lagThresholdSec: doc(z.number().positive().optional(), 'Alert when a sink lags this far behind on this logId.', 60),
  })
  .strict();

export type LogIdConfig = z.output<typeof logIdConfigSchema>;
