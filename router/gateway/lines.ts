/**
 * The agent -> router wire format: an NDJSON body, one log record per line. A record is a
 * JSON object with at least `logId` (string) and `level` (pino label or number); anything
 * else (time, msg, host, origin, fields) is carried as is: the router forwards the line's
 * own bytes to Kafka and never re-serialises them (docs/router-protocol.md).
 *
 * Each line is judged alone: a bad line is rejected with its 1-based line number and the
 * reason, and the rest of the batch goes on (DESIGN.md invariant 5).
 */
import { LEVELS, type Level } from '../../config/common.ts';
import { LOG_ID, PINO_LEVELS, quote } from '../../core/record.ts';

export interface ParsedLine {
  /** 1-based line number in the decoded body. */
  line: number;
  logId: string;
  level: Level;
  host: string | undefined;
  /** The line's bytes, without the newline: the Kafka record value. */
  bytes: Buffer;
}

export interface RejectedLine {
  line: number;
  reason: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function levelOf(v: unknown): Level | undefined {
  if (typeof v === 'string') {
    const lower = v.toLowerCase();
    return (LEVELS as readonly string[]).includes(lower) ? (lower as Level) : undefined;
  }
  return typeof v === 'number' ? PINO_LEVELS[v] : undefined;
}

/** Judges one line; returns the parsed record or the reason it was rejected. */
export function parseLine(bytes: Buffer, line: number): ParsedLine | RejectedLine {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { line, reason: 'invalid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { line, reason: `not valid JSON: ${(err as Error).message.slice(0, 80)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { line, reason: `expected a JSON object, found ${quote(value)}` };
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec.logId !== 'string' || !LOG_ID.test(rec.logId)) {
    return {
      line,
      reason: `logId: expected a string of 1-64 letters, digits, "_", "." or "-", found ${rec.logId === undefined ? 'nothing' : quote(rec.logId)}`,
    };
  }
  const level = levelOf(rec.level);
  if (level === undefined) {
    return {
      line,
      reason: `level: expected one of ${LEVELS.join(', ')} or a pino number 10..60, found ${rec.level === undefined ? 'nothing' : quote(rec.level)}`,
    };
  }
  const host = typeof rec.host === 'string' ? rec.host : undefined;
  return { line, logId: rec.logId, level, host, bytes };
}

export function isRejected(r: ParsedLine | RejectedLine): r is RejectedLine {
  return (r as RejectedLine).reason !== undefined;
}

/**
 * Splits an NDJSON body into lines (LF or CRLF; a missing final newline is fine; empty
 * lines are skipped but still counted for line numbers) and judges each.
 */
export function parseBody(body: Buffer): { records: ParsedLine[]; rejected: RejectedLine[] } {
  const records: ParsedLine[] = [];
  const rejected: RejectedLine[] = [];
  let start = 0;
  let line = 0;
  while (start < body.length) {
    let end = body.indexOf(0x0a, start);
    if (end === -1) end = body.length;
    line++;
    let stop = end;
    if (stop > start && body[stop - 1] === 0x0d) stop--;
    if (stop > start) {
      const r = parseLine(body.subarray(start, stop), line);
      if (isRejected(r)) rejected.push(r);
      else records.push(r);
    }
    start = end + 1;
  }
  return { records, rejected };
}
