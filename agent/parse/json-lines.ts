/**
 * Newline-delimited JSON from services (TCP, HTTP NDJSON bodies, files, stdin) to router
 * lines. Each line is judged alone (DESIGN.md invariant 5): a bad one is rejected with its
 * reason and offset, and the stream goes on.
 *
 * A line is accepted when it is valid UTF-8, one JSON object, and has (or is given) a
 * logId and a level. Its bytes are forwarded as they came, completed by `stampOrigin`.
 *
 * - logId: the object's `logId` field, else the first matching rule, else the input's
 *   `defaultLogId`, else rejected 'no logId' (see log-id.ts).
 * - level: the `level` field, a pino number or label (any case, kept as is) or an alias
 *   (rewritten to the label, see level.ts); a missing level becomes `defaultLevel`.
 */
import type { Level } from '../../config/common.ts';
import { LEVEL_EXPECTED, matchLevel } from './level.ts';
import { LineFramer } from './line-framer.ts';
import { checkRules, isLogId, LOG_ID_EXPECTED, type LogIdRule, matchRules } from './log-id.ts';
import { type AgentLine, emit, newStats, type ParseOutput, type ParseStats, quote, type Rejection } from './output.ts';
import { type Stamp, stampOrigin } from './record.ts';

/** 1 MiB: the uplink's default batch size (config/agent.ts), so the longest line still fits one batch alone. */
export const DEFAULT_MAX_LINE_BYTES = 1_048_576;
/** pino's default level; a JSON line without a level is most likely an ordinary event. */
export const DEFAULT_LEVEL: Level = 'info';
/** JSON.parse messages quote the input; 80 characters keep the reason short (as the router does). */
const JSON_ERROR_MAX = 80;

export interface JsonLinesOptions {
  /** The agent's host and origin, added to objects that lack them. */
  stamp: Stamp;
  /** logId for objects without one that no rule matches. */
  defaultLogId?: string | undefined;
  /** Checked in order after the object's own `logId`; see log-id.ts. @default [] */
  rules?: readonly LogIdRule[] | undefined;
  /** Longer lines are rejected and skipped. @default DEFAULT_MAX_LINE_BYTES */
  maxLineBytes?: number | undefined;
  /** Level for objects without a `level` field. @default 'info' */
  defaultLevel?: Level | undefined;
  /** Clock for `time` on objects without one. @default Date.now */
  now?: (() => number) | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

/** Judges single lines; shared by every stream of one input. */
export class JsonLineJudge {
  readonly #stamp: Stamp;
  readonly #defaultLogId: string | undefined;
  readonly #rules: readonly LogIdRule[];
  readonly #defaultLevel: Level;
  readonly #now: () => number;

  constructor(options: JsonLinesOptions) {
    if (options.defaultLogId !== undefined && !isLogId(options.defaultLogId)) {
      throw new TypeError(`defaultLogId: expected ${LOG_ID_EXPECTED}, found ${JSON.stringify(options.defaultLogId)}`);
    }
    this.#stamp = options.stamp;
    this.#defaultLogId = options.defaultLogId;
    this.#rules = checkRules(options.rules);
    this.#defaultLevel = options.defaultLevel ?? DEFAULT_LEVEL;
    this.#now = options.now ?? Date.now;
  }

  /** One line, without its newline; `offset`/`span` are passed through for accounting. */
  judge(line: Buffer, offset: number, span: number): AgentLine | Rejection {
    let a = 0;
    let b = line.length;
    while (a < b && isSpace(line[a])) a++;
    while (b > a && isSpace(line[b - 1])) b--;
    if (a === b) return { kind: 'empty', reason: 'empty line', offset, span };
    const bytes = a === 0 && b === line.length ? line : line.subarray(a, b);

    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return { kind: 'invalid-utf8', reason: 'invalid UTF-8', offset, span };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const reason = `not valid JSON: ${(err as Error).message.slice(0, JSON_ERROR_MAX)}`;
      return { kind: 'invalid-json', reason, offset, span };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { kind: 'not-object', reason: `expected a JSON object, found ${quote(value)}`, offset, span };
    }
    const rec = value as Record<string, unknown>;

    let logId: string;
    let setLogId: string | undefined;
    if (rec.logId !== undefined) {
      if (!isLogId(rec.logId)) {
        return {
          kind: 'bad-log-id',
          reason: `logId: expected ${LOG_ID_EXPECTED}, found ${quote(rec.logId)}`,
          offset,
          span,
        };
      }
      logId = rec.logId;
    } else {
      const resolved = (this.#rules.length > 0 ? matchRules(this.#rules, rec) : undefined) ?? this.#defaultLogId;
      if (resolved === undefined) {
        return {
          kind: 'no-log-id',
          reason: 'no logId: the object has no "logId" field, no rule matched and the input has no defaultLogId',
          offset,
          span,
        };
      }
      logId = setLogId = resolved;
    }

    let level: Level;
    let setLevel: Level | undefined;
    if (rec.level === undefined) {
      level = setLevel = this.#defaultLevel;
    } else {
      const m = matchLevel(rec.level);
      if (m === undefined) {
        return {
          kind: 'bad-level',
          reason: `level: expected ${LEVEL_EXPECTED}, found ${quote(rec.level)}`,
          offset,
          span,
        };
      }
      level = m.level;
      if (!m.asIs) setLevel = m.level;
    }

    const out = stampOrigin(bytes, rec, this.#stamp, {
      logId: setLogId,
      level: setLevel,
      timeMs: rec.time === undefined ? this.#now() : 0,
    });
    return { logId, level, bytes: out, offset, span };
  }
}

/**
 * One byte stream of NDJSON (one TCP connection, one file, stdin): frames lines, judges
 * each, and reports through `out`. Never throws on input.
 */
export class JsonLinesParser {
  readonly stats: ParseStats = newStats();
  readonly #framer: LineFramer;

  /** `judge` may be shared by all streams of one input (it checks the options once). */
  constructor(options: JsonLinesOptions, out: ParseOutput, judge: JsonLineJudge = new JsonLineJudge(options)) {
    const stats = this.stats;
    const limit = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#framer = new LineFramer(limit, {
      line: (bytes, offset, span) => emit(out, stats, judge.judge(bytes, offset, span)),
      tooLong: (length, offset, span) =>
        emit(out, stats, { kind: 'too-long', reason: `line too long (${length} bytes > ${limit})`, offset, span }),
      blank: (_offset, span) => {
        stats.skippedBytes += span;
      },
    });
  }

  /** Bytes held for a partial last line. */
  get pendingBytes(): number {
    return this.#framer.pendingBytes;
  }

  /** Takes ownership of `chunk` (accepted lines may be subarrays of it). */
  push(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    this.#framer.push(chunk);
  }

  /** The stream ended: the partial last line, if any, is judged too. */
  end(): void {
    this.#framer.end();
  }
}
