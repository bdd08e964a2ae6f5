/**
 * One line (or one joined multiline message) to a router record, in the input's format:
 *
 * - `json`: the line must be one JSON object (see the rules below); anything else is
 *   rejected with its reason. For inputs that only ever carry JSON (pino, NDJSON senders).
 * - `text`: the line is a plain-text log line. It becomes a record with `msg` = the line,
 *   `time` from the time it starts with (timestamp.ts: ISO 8601 / RFC 3339, log4j and
 *   Python shapes, syslog, epoch), else the transport's time (a container runtime's), else
 *   the read time, and `level` from the level pattern (the first FATAL, CRITICAL, ERROR,
 *   WARN, WARNING, INFO, DEBUG or TRACE written as a word, upper case, in the first
 *   LEVEL_SCAN_CHARS characters), else `defaultLevel`.
 * - `auto` (the config default): a line that is a JSON object is taken as JSON, anything
 *   else as text. Most files on real hosts are text; many services mix both (a JSON logger
 *   plus a runtime's plain-text crash output).
 *
 * JSON objects (DESIGN.md invariant 5: each line judged alone): accepted when valid UTF-8,
 * one object, and it has (or is given) a logId and a level. Its bytes are forwarded as
 * they came, completed by `stampOrigin`.
 * - logId: the object's `logId` field, else the first matching rule, else the input's
 *   `defaultLogId`, else rejected 'no logId' (see log-id.ts). Text lines take the default.
 * - level: the `level` field, a pino number or label (any case, kept as is) or an alias
 *   (rewritten to the label, see level.ts); a missing level becomes `defaultLevel`.
 *
 * Text is decoded leniently: bytes that are not UTF-8 (a Latin-1 legacy log) become
 * U+FFFD in `msg` rather than costing the whole line.
 */
import type { Level } from '../../config/common.ts';
import { LEVEL_EXPECTED, matchLevel } from './level.ts';
import { checkRules, isLogId, LOG_ID_EXPECTED, type LogIdRule, matchRules } from './log-id.ts';
import type { AgentLine, Rejection } from './output.ts';
import { quote } from './output.ts';
import { type ExtraField, type Stamp, stampOrigin, toLine } from './record.ts';
import { leadingTime } from './timestamp.ts';

export type LineFormat = 'json' | 'text' | 'auto';
export const LINE_FORMATS: readonly LineFormat[] = ['json', 'text', 'auto'];

/** 1 MiB: the uplink's default batch size (config/agent.ts), so the longest line still fits one batch alone. */
export const DEFAULT_MAX_LINE_BYTES = 1_048_576;
/** pino's default level; a line without a level is most likely an ordinary event. */
export const DEFAULT_LEVEL: Level = 'info';
/**
 * Upper-case level words, as log4j, logback, Python logging, Go's log/slog text handler and
 * most hand-written formats put them. Upper case only: "no error found" in an INFO line's
 * text must not make it an ERROR.
 */
export const DEFAULT_LEVEL_PATTERN = '\\b(FATAL|CRITICAL|ERROR|WARN|WARNING|INFO|DEBUG|TRACE)\\b';
/** The level is looked for near the start: in a joined stack trace, deep frames name other things. */
export const LEVEL_SCAN_CHARS = 256;
/** JSON.parse messages quote the input; 80 characters keep the reason short (as the router does). */
const JSON_ERROR_MAX = 80;

export interface LineJudgeOptions {
  /** The agent's host and origin, added to records that lack them. */
  stamp: Stamp;
  /** @default 'json' */
  format?: LineFormat | undefined;
  /** logId for records without one that no rule matches. */
  defaultLogId?: string | undefined;
  /** Checked in order after a JSON object's own `logId`; see log-id.ts. @default [] */
  rules?: readonly LogIdRule[] | undefined;
  /** Longer lines are rejected and skipped (used by the framing around the judge). @default DEFAULT_MAX_LINE_BYTES */
  maxLineBytes?: number | undefined;
  /** Level for records without one. @default 'info' */
  defaultLevel?: Level | undefined;
  /** Text lines: a regular expression whose first group (or group named `level`) is the level word. @default DEFAULT_LEVEL_PATTERN */
  levelPattern?: string | undefined;
  /** Fields added to every record that lacks them (Kubernetes metadata). */
  extra?: readonly ExtraField[] | undefined;
  /** Clock for `time` on records without one. @default Date.now */
  now?: (() => number) | undefined;
}

/** What the transport knows about a line beyond its bytes. */
export interface LineHint {
  /** The transport's time for the line (a container runtime's), used when the line has none. */
  timeMs?: number | undefined;
  /** Extra fields for this line only (a container line's stream), after the judge's own. */
  extra?: readonly ExtraField[] | undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');
const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

/** A `(` that opens a capturing group: not `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` (`(?<name>` captures). */
const CAPTURING_GROUP = /\((?!\?(?:[:=!]|<[=!]))/;

/** What a level pattern should have been when it is not usable (config check and compile share it); undefined when it is. */
export function levelPatternProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
  } catch (err) {
    return `a regular expression (${(err as Error).message})`;
  }
  return CAPTURING_GROUP.test(pattern)
    ? undefined
    : 'a regular expression with a capturing group around the level word';
}

/** Compiles a level pattern, or throws a TypeError naming what is wrong with it. */
export function compileLevelPattern(pattern: string): RegExp {
  const problem = levelPatternProblem(pattern);
  if (problem !== undefined) {
    throw new TypeError(`levelPattern: expected ${problem}, found ${JSON.stringify(pattern)}`);
  }
  return new RegExp(pattern);
}

/** The level a text line names, through the same aliases as JSON levels; `fallback` when none. */
export function levelOfText(text: string, re: RegExp, fallback: Level): Level {
  const m = re.exec(text.length > LEVEL_SCAN_CHARS ? text.slice(0, LEVEL_SCAN_CHARS) : text);
  if (m === null) return fallback;
  const word = m.groups?.level ?? m.slice(1).find((g) => g !== undefined);
  return (word === undefined ? undefined : matchLevel(word)?.level) ?? fallback;
}

/** Judges single lines; shared by every stream of one input (it checks the options once). */
export class LineJudge {
  readonly format: LineFormat;
  readonly #stamp: Stamp;
  readonly #defaultLogId: string | undefined;
  readonly #rules: readonly LogIdRule[];
  readonly #defaultLevel: Level;
  readonly #levelRe: RegExp;
  readonly #extra: readonly ExtraField[] | undefined;
  readonly #now: () => number;
  readonly #options: LineJudgeOptions;

  constructor(options: LineJudgeOptions) {
    this.#options = options;
    if (options.defaultLogId !== undefined && !isLogId(options.defaultLogId)) {
      throw new TypeError(`defaultLogId: expected ${LOG_ID_EXPECTED}, found ${JSON.stringify(options.defaultLogId)}`);
    }
    this.format = options.format ?? 'json';
    if (!LINE_FORMATS.includes(this.format)) {
      throw new TypeError(`format: expected one of ${LINE_FORMATS.join(', ')}, found ${JSON.stringify(this.format)}`);
    }
    this.#stamp = options.stamp;
    this.#defaultLogId = options.defaultLogId;
    this.#rules = checkRules(options.rules);
    this.#defaultLevel = options.defaultLevel ?? DEFAULT_LEVEL;
    this.#levelRe = compileLevelPattern(options.levelPattern ?? DEFAULT_LEVEL_PATTERN);
    this.#extra = options.extra !== undefined && options.extra.length > 0 ? options.extra : undefined;
    this.#now = options.now ?? Date.now;
  }

  /** The same judge with another default logId and extra fields (a file whose path names its logId, a container's metadata). */
  withDefaults(defaultLogId: string | undefined, extra?: readonly ExtraField[]): LineJudge {
    return new LineJudge({ ...this.#options, defaultLogId, extra: extra ?? this.#options.extra });
  }

  /** One line, without its newline; `offset`/`span` are passed through for accounting. */
  judge(line: Buffer, offset: number, span: number, hint?: LineHint): AgentLine | Rejection {
    let a = 0;
    let b = line.length;
    while (a < b && isSpace(line[a])) a++;
    while (b > a && isSpace(line[b - 1])) b--;
    if (a === b) return { kind: 'empty', reason: 'empty line', offset, span };
    const trimmed = a === 0 && b === line.length ? line : line.subarray(a, b);

    if (this.format === 'text' || (this.format === 'auto' && trimmed[0] !== 0x7b) /* { */) {
      return this.#text(line, offset, span, hint);
    }
    let text: string;
    try {
      text = utf8.decode(trimmed);
    } catch {
      if (this.format === 'auto') return this.#text(line, offset, span, hint);
      return { kind: 'invalid-utf8', reason: 'invalid UTF-8', offset, span };
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      if (this.format === 'auto') return this.#text(line, offset, span, hint);
      const reason = `not valid JSON: ${(err as Error).message.slice(0, JSON_ERROR_MAX)}`;
      return { kind: 'invalid-json', reason, offset, span };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return { kind: 'not-object', reason: `expected a JSON object, found ${quote(value)}`, offset, span };
    }
    return this.#object(trimmed, value as Record<string, unknown>, offset, span, hint);
  }

  #object(
    bytes: Buffer,
    rec: Record<string, unknown>,
    offset: number,
    span: number,
    hint: LineHint | undefined,
  ): AgentLine | Rejection {
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
      timeMs: rec.time === undefined ? (hint?.timeMs ?? this.#now()) : 0,
      extra: this.#extraFor(hint),
    });
    return { logId, level, bytes: out, offset, span };
  }

  #text(line: Buffer, offset: number, span: number, hint: LineHint | undefined): AgentLine | Rejection {
    const logId = this.#defaultLogId;
    if (logId === undefined) {
      return {
        kind: 'no-log-id',
        reason: "no logId: a text line needs the input's defaultLogId (or a logId taken from the file path)",
        offset,
        span,
      };
    }
    let end = line.length;
    while (end > 0 && (line[end - 1] === 0x0d || line[end - 1] === 0x20 || line[end - 1] === 0x09)) end--;
    const msg = lenient.decode(end === line.length ? line : line.subarray(0, end));
    const now = this.#now();
    const time = leadingTime(msg, now) ?? hint?.timeMs ?? now;
    const level = levelOfText(msg, this.#levelRe, this.#defaultLevel);
    const extra = this.#extraFor(hint);
    let fields: Record<string, unknown> | undefined;
    if (extra !== undefined) {
      fields = {};
      for (const f of extra) fields[f.key] = f.value;
    }
    const bytes = toLine({ time, level, logId, msg, host: this.#stamp.host, origin: this.#stamp.origin, fields });
    return { logId, level, bytes, offset, span };
  }

  #extraFor(hint: LineHint | undefined): readonly ExtraField[] | undefined {
    if (hint?.extra === undefined) return this.#extra;
    return this.#extra === undefined ? hint.extra : [...this.#extra, ...hint.extra];
  }
}
