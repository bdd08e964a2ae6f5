/** Blackhole sink: acknowledges and drops everything; for benchmarks and dry runs. */
import { z } from 'zod';
import { doc } from './common.ts';
import { sinkCommonShape } from './sink-common.ts';

export const blackholeSinkSchema = z
  .object({ type: doc(z.literal('blackhole'), 'Sink type.', 'blackhole'), ...sinkCommonShape })
  .strict();
