/**
 * Joins the physical lines of one event (a stack trace, a pretty-printed object) into one
 * message, so a Java, Python or Node error arrives as one record with its trace instead of
 * thirty records of frames.
 *
 * Modelled on Filebeat's multiline settings, which SREs already know:
 * - `pattern` + `negate` say whether a line *joins*: it joins when it matches the pattern
 *   (or, with `negate`, when it does not).
 * - `match: after`: a joining line is appended to the message before it (stack traces).
 *   `match: before`: a joining line continues into the next line, which ends the message
 *   (a line ending in `\`).
 * - `maxLines` / `maxBytes`: a message that reaches either is sent and the next line starts
 *   a new one, so nothing is discarded (Filebeat drops the excess; we keep every byte).
 * - `timeoutMs`: a message waits at most this long for a next line before it is sent
 *   (a trace at the end of a file, or a quiet service's last error).
 *
 * The `stacktrace` preset needs no pattern. A line joins the open message when it is:
 * indented (frames: Java `\tat`, Python `  File`, Node `    at`, `... 5 more`);
 * `Caused by:` / `Suppressed:`; Python's `Traceback (most recent call last):`, the two
 * chaining sentences, and the exception line that ends a traceback whatever its class;
 * an exception line of a class named `…Error`, `…Exception` or `…Throwable`
 * (`java.lang.IllegalStateException: boom`, `TypeError: x`, `Error: y`); or a lone closing
 * `}` / `]` (the end of Node's `util.inspect` of an error with a cause). A line that starts
 * with a timestamp or `{` never joins: it is a new event.
 * Blank lines inside a message (Python's chained tracebacks have them) are kept when a
 * joining line follows; otherwise they are skipped as blank lines are everywhere.
 *
 * A message never spans two files or two streams of a container: the stream or file
 * ends, the message is sent.
 */
import type { Message } from './message.ts';
import { leadingTime } from './timestamp.ts';

export type MultilineMatch = 'after' | 'before';

/** Decides whether a line joins; may keep state across the lines of one message. */
export interface JoinRule {
  /** `open`: a message is being built. Called for every line, in order. */
  joins(line: string, open: boolean): boolean;
}

export interface MultilineOptions {
  rule: JoinRule;
  /** @default 'after' */
  match?: MultilineMatch | undefined;
  maxLines: number;
  maxBytes: number;
  timeoutMs: number;
}

/** Filebeat's max_lines default. */
export const DEFAULT_MULTILINE_MAX_LINES = 500;
/**
 * One second: a logger writes an event and its trace together, so its lines arrive in the
 * same read. Filebeat waits 5 s, but the lines that wait here are ERROR lines, the ones an
 * operator wants first.
 */
export const DEFAULT_MULTILINE_TIMEOUT_MS = 1_000;
/** Only the start of a line is looked at to decide whether it joins. */
const TEST_CHARS = 512;

/** `pattern` matches (or, with negate, does not match) the line. */
export function patternRule(pattern: RegExp, negate: boolean): JoinRule {
  return { joins: (line) => pattern.test(line) !== negate };
}

const EXCEPTION_LINE = /^(?:[A-Za-z_$][\w$]*\.)*[\w$]*(?:Error|Exception|Throwable)(?::|$)/;
const CLOSING = /^[}\]]+[,;]?$/;
const TRACEBACK = 'Traceback (most recent call last):';
const PY_CHAIN = [
  'During handling of the above exception, another exception occurred:',
  'The above exception was the direct cause of the following exception:',
];

/** The `stacktrace` preset (see the header). One instance per stream: it tracks Python tracebacks. */
export function stacktraceRule(now: () => number = Date.now): JoinRule {
  let inTraceback = false;
  /** The open message is a JSON object: a JSON logger's records are whole, nothing joins them. */
  let json = false;
  const decide = (line: string, open: boolean): boolean => {
    if (json && open) return false;
    const c = line.charCodeAt(0);
    if (c === 0x20 || c === 0x09) return true;
    if (line.startsWith(TRACEBACK)) {
      inTraceback = true;
      return true;
    }
    if (c === 0x7b /* { */ || leadingTime(line, now()) !== undefined) {
      inTraceback = false;
      return false;
    }
    if (inTraceback) {
      // The exception line that ends a traceback, whatever its class is called.
      inTraceback = false;
      return open;
    }
    return (
      line.startsWith('Caused by: ') ||
      line.startsWith('Suppressed: ') ||
      PY_CHAIN.includes(line) ||
      CLOSING.test(line) ||
      EXCEPTION_LINE.test(line)
    );
  };
  return {
    joins(line, open) {
      const joins = decide(line, open);
      if (!joins || !open) json = line.charCodeAt(0) === 0x7b;
      return joins;
    },
  };
}

export interface MultilineOutput {
  message(m: Message): void;
  /** Blank lines that did not end up inside a message (accounting: skipped bytes). */
  blank(offset: number, span: number): void;
}

export interface MultilineStats {
  /** Messages made of more than one line. */
  joined: number;
  /** Messages sent because they reached maxLines or maxBytes. */
  cut: number;
  /** Messages sent by the timeout. */
  timedOut: number;
}

export class MultilineJoiner {
  readonly stats: MultilineStats = { joined: 0, cut: 0, timedOut: 0 };
  readonly #o: MultilineOptions;
  readonly #after: boolean;
  readonly #out: MultilineOutput;
  /** The message being built. */
  #parts: Buffer[] = [];
  #bytes = 0;
  #first: Message | undefined;
  #end = 0;
  /** Blank lines after the open message's last line: [offset, span]. */
  #blanks: [number, number][] = [];
  #lastAt = 0;
  /** Offset of the line being pushed: held while the message before it leaves (see heldFrom). */
  #arriving: number | undefined;

  constructor(options: MultilineOptions, out: MultilineOutput) {
    for (const k of ['maxLines', 'maxBytes', 'timeoutMs'] as const) {
      const v = options[k];
      if (!Number.isFinite(v) || v < (k === 'timeoutMs' ? 0 : 1)) {
        throw new RangeError(`multiline.${k}: expected a positive number, found ${v}`);
      }
    }
    this.#o = options;
    this.#after = (options.match ?? 'after') === 'after';
    this.#out = out;
  }

  /**
   * Offset of the first byte held: the open message, or the line being pushed while the
   * message before it leaves. With a container's two streams, that line may start before
   * the end of the message leaving, and a checkpoint must not pass it.
   */
  get heldFrom(): number | undefined {
    const open = this.#first?.offset;
    const arriving = this.#arriving;
    return open === undefined ? arriving : arriving === undefined ? open : Math.min(open, arriving);
  }

  get pendingBytes(): number {
    return this.#bytes;
  }

  push(m: Message, nowMs: number): void {
    this.#arriving = m.offset;
    try {
      this.#push(m);
    } finally {
      this.#arriving = undefined;
    }
    this.#lastAt = nowMs;
  }

  #push(m: Message): void {
    const text = m.bytes.toString('utf8', 0, Math.min(m.bytes.length, TEST_CHARS));
    // A container's stdout and stderr interleave: a message never takes a line of the other stream.
    if (this.#first !== undefined && this.#first.stream !== m.stream) this.flush();
    const open = this.#first !== undefined;
    const joins = this.#o.rule.joins(text, open);
    if (this.#after) {
      if (open && joins && !this.#full(m)) {
        this.#append(m);
      } else {
        if (open && joins) this.stats.cut++;
        this.flush();
        this.#start(m);
      }
    } else {
      if (open && this.#full(m)) {
        this.stats.cut++;
        this.flush();
      }
      if (this.#first === undefined) this.#start(m);
      else this.#append(m);
      if (!joins) this.flush();
    }
  }

  /** A blank line: kept inside the open message if a joining line follows, else skipped. */
  blank(offset: number, span: number): void {
    if (this.#first === undefined) this.#out.blank(offset, span);
    else this.#blanks.push([offset, span]);
  }

  /** Sends the open message when no line came for timeoutMs. */
  tick(nowMs: number): void {
    if (this.#first !== undefined && nowMs - this.#lastAt >= this.#o.timeoutMs) {
      this.stats.timedOut++;
      this.flush();
    }
  }

  /** Sends the open message now (the stream ended, or something else must come after it). */
  flush(): void {
    const first = this.#first;
    if (first !== undefined) {
      const lines = this.#parts.length;
      const bytes = lines === 1 ? this.#parts[0]! : joinLines(this.#parts, this.#bytes);
      if (lines > 1) this.stats.joined++;
      this.#first = undefined;
      this.#parts = [];
      this.#bytes = 0;
      this.#out.message({
        bytes,
        offset: first.offset,
        span: this.#end - first.offset,
        timeMs: first.timeMs,
        stream: first.stream,
        lines,
      });
    }
    for (const [offset, span] of this.#blanks) this.#out.blank(offset, span);
    this.#blanks = [];
  }

  #full(m: Message): boolean {
    const blanks = this.#blanks.length;
    return (
      this.#parts.length + blanks + 1 > this.#o.maxLines || this.#bytes + blanks + 1 + m.bytes.length > this.#o.maxBytes
    );
  }

  #start(m: Message): void {
    this.#first = m;
    this.#parts = [m.bytes];
    this.#bytes = m.bytes.length;
    this.#end = m.offset + m.span;
  }

  #append(m: Message): void {
    for (const _ of this.#blanks) {
      this.#parts.push(EMPTY);
      this.#bytes += 1;
    }
    this.#blanks = [];
    this.#parts.push(m.bytes);
    this.#bytes += 1 + m.bytes.length;
    this.#end = m.offset + m.span;
  }
}

const EMPTY = Buffer.alloc(0);
const NL = 0x0a;

function joinLines(parts: readonly Buffer[], total: number): Buffer {
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[p++] = NL;
    parts[i]!.copy(out, p);
    p += parts[i]!.length;
  }
  return out;
}
