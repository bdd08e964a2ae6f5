/**
 * What every input parser hands on: accepted lines for the uplink and counted rejections.
 *
 * Accounting contract (tested by the fuzz tests): each input byte belongs to exactly one
 * accepted line or one rejection (its `offset`/`span`, framing bytes included), except
 * whitespace-only lines between records, which are counted in `stats.skippedBytes`. So
 * `sum(spans) + skippedBytes === stats.bytes` once `end()` has been called.
 */
import type { Level } from '../../config/common.ts';

/** Stable rejection kinds: label values for the rejected-records counter. */
export type RejectKind =
  | 'too-long'
  | 'invalid-utf8'
  | 'invalid-json'
  | 'not-object'
  | 'bad-log-id'
  | 'no-log-id'
  | 'bad-level'
  | 'bad-syslog'
  /** A container log line in neither the CRI nor the Docker json-file format (container-log.ts). */
  | 'bad-container-log'
  | 'framing'
  | 'empty'
  /** Well-formed, but its logId was over its quota at the agent (agent/service.ts). */
  | 'quota';

/** One record ready for the router: a JSON object the router's line judge accepts. */
export interface AgentLine {
  logId: string;
  level: Level;
  /** The record's JSON, no newline; may share memory with the pushed chunk (no copy). */
  bytes: Buffer;
  /** Stream offset of the first input byte this record came from. */
  offset: number;
  /** Input bytes this record accounts for, framing included. */
  span: number;
}

export interface Rejection {
  kind: RejectKind;
  /** For the operator: what was wrong, quoting at most a short excerpt of the input. */
  reason: string;
  offset: number;
  span: number;
}

export interface ParseOutput {
  accept(line: AgentLine): void;
  reject(rejection: Rejection): void;
}

export interface ParseStats {
  /** Bytes pushed. */
  bytes: number;
  records: number;
  rejected: number;
  /** Bytes of whitespace-only lines (and tolerated newlines between octet-counted frames). */
  skippedBytes: number;
}

export function newStats(): ParseStats {
  return { bytes: 0, records: 0, rejected: 0, skippedBytes: 0 };
}

export function isRejection(r: AgentLine | Rejection): r is Rejection {
  return (r as Rejection).reason !== undefined;
}

/** Counts and forwards one result. */
export function emit(out: ParseOutput, stats: ParseStats, r: AgentLine | Rejection): void {
  if (isRejection(r)) {
    stats.rejected++;
    out.reject(r);
  } else {
    stats.records++;
    out.accept(r);
  }
}

export { QUOTE_MAX, quote } from '../../core/record.ts';
