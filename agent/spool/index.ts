/** The agent's disk spool (issue 4); see spool.ts for the design. */

export { ENTRY_OVERHEAD_BYTES, SPOOL_ENCODINGS, type SpoolEncoding } from './record.ts';
export {
  type AppendOptions,
  type AppendResult,
  DEFAULT_FSYNC_INTERVAL_MS,
  DEFAULT_SEGMENT_BYTES,
  type EvictedEntry,
  type FsyncPolicy,
  SPOOL_DROP_REASONS,
  Spool,
  type SpoolDropReason,
  type SpoolEntry,
  type SpoolOptions,
  type SpoolStats,
} from './spool.ts';
