/** File sink: rotated, optionally compressed NDJSON files. */
import { z } from 'zod';
import { doc } from './common.ts';
import { sinkCommonShape } from './sink-common.ts';

/** 128 MiB files: big enough for sequential IO, small enough to ship or delete one at a time. */
export const DEFAULT_FILE_ROTATE_BYTES = 128 * 1024 * 1024;
/** Hourly files line up with how operators search archives. */
export const DEFAULT_FILE_ROTATE_MS = 60 * 60 * 1000;

export const fileSinkSchema = z
  .object({
    type: doc(z.literal('file'), 'Sink type.', 'file'),
    ...sinkCommonShape,
    directory: doc(
      z.string().min(1),
      'Directory the files are written to; created if missing.',
      '/var/lib/spillway/archive',
    ),
    compression: doc(z.enum(['gzip', 'zstd', 'none']).default('gzip'), 'Compression of each file.', 'zstd'),
    rotateBytes: doc(
      z.number().int().min(1024).default(DEFAULT_FILE_ROTATE_BYTES),
      'Start a new file after this many (uncompressed) bytes.',
      DEFAULT_FILE_ROTATE_BYTES,
    ),
    rotateMs: doc(
      z.number().int().min(1000).default(DEFAULT_FILE_ROTATE_MS),
      'Start a new file after this long.',
      DEFAULT_FILE_ROTATE_MS,
    ),
    fsync: doc(
      z.boolean().default(true),
      'fsync before acknowledging a batch; needed for at-least-once across power loss.',
      true,
    ),
  })
  .strict();
