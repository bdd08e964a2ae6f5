/**
 * Never silent: every line an input refuses is counted (`spillway_input_rejected_total`
 * {input, reason}, the stop summary) and logged at warn, rate-limited per input: the first
 * `firstPerWindow` rejections of each window are logged one by one with their reason,
 * the rest as one count per reason when the window ends.
 *
 * And a source (a file, a connection's input) whose every line in the last window was
 * refused says so at warn, naming the file, the reason and what to change: a JSON-only
 * input tailing a plain-text file must not look like a quiet one.
 */
import type { Logger } from '../../core/logger.ts';
import type { Telemetry } from '../../core/telemetry.ts';
import type { Rejection, RejectKind } from '../parse/output.ts';

/** One minute: "the first N per minute, then a count". */
export const REJECTION_WINDOW_MS = 60_000;
/** Rejections logged one by one per input and window. */
export const REJECTIONS_LOGGED_PER_WINDOW = 5;

/** What an operator should change when every line of a source is refused for this reason. */
export const REJECTION_HINTS: Partial<Record<RejectKind, string>> = {
  'invalid-json': 'not JSON: set format: text (or auto)',
  'not-object': 'not JSON objects: set format: text (or auto)',
  'invalid-utf8': 'not UTF-8 text: set format: text (or auto), which keeps such lines with U+FFFD',
  'no-log-id': 'no logId: set defaultLogId (or logIdFromPath) on the input',
  'bad-container-log': 'not a container log: tail this path with a file input instead',
  'too-long': 'lines longer than the limit: is this a log file?',
};

interface SourceWindow {
  accepted: number;
  rejected: number;
  byKind: Map<RejectKind, { n: number; reason: string }>;
}

export interface RejectionReporterOptions {
  /** The input's name: the `input` label. */
  input: string;
  log: Logger;
  telemetry: Telemetry;
  /** @default REJECTION_WINDOW_MS */
  windowMs?: number | undefined;
  /** @default REJECTIONS_LOGGED_PER_WINDOW */
  firstPerWindow?: number | undefined;
  now?: (() => number) | undefined;
}

export class RejectionReporter {
  readonly input: string;
  /** Rejections since start, per reason: the stop summary. */
  readonly total = new Map<RejectKind, number>();
  readonly #o: RejectionReporterOptions;
  readonly #windowMs: number;
  readonly #first: number;
  readonly #now: () => number;
  #windowStart: number;
  #logged = 0;
  #suppressed = new Map<RejectKind, number>();
  #sources = new Map<string, SourceWindow>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RejectionReporterOptions) {
    this.input = options.input;
    this.#o = options;
    this.#windowMs = options.windowMs ?? REJECTION_WINDOW_MS;
    this.#first = options.firstPerWindow ?? REJECTIONS_LOGGED_PER_WINDOW;
    this.#now = options.now ?? Date.now;
    this.#windowStart = this.#now();
    this.#timer = setInterval(() => this.roll(), this.#windowMs);
    this.#timer.unref();
  }

  /** Rejections since start, all reasons. */
  get rejected(): number {
    let n = 0;
    for (const v of this.total.values()) n += v;
    return n;
  }

  /** `n` lines of `source` were accepted. */
  accepted(source: string, n: number): void {
    if (n === 0) return;
    this.#o.telemetry.inc('spillway_input_records_total', { input: this.input }, n);
    this.#window(source).accepted += n;
  }

  reject(r: Rejection, source: string): void {
    this.total.set(r.kind, (this.total.get(r.kind) ?? 0) + 1);
    this.#o.telemetry.inc('spillway_input_rejected_total', { input: this.input, reason: r.kind });
    const w = this.#window(source);
    w.rejected++;
    const k = w.byKind.get(r.kind);
    if (k === undefined) w.byKind.set(r.kind, { n: 1, reason: r.reason });
    else k.n++;
    if (this.#logged < this.#first) {
      this.#logged++;
      this.#o.log.warn(
        { input: this.input, source, kind: r.kind, reason: r.reason, offset: r.offset },
        this.#logged === this.#first
          ? 'line rejected (further rejections this minute are counted, and logged as one summary)'
          : 'line rejected',
      );
    } else {
      this.#suppressed.set(r.kind, (this.#suppressed.get(r.kind) ?? 0) + 1);
    }
  }

  /** Ends the window: the suppressed count, and sources whose every line was refused. */
  roll(): void {
    const now = this.#now();
    const seconds = Math.round((now - this.#windowStart) / 1000);
    if (this.#suppressed.size > 0) {
      let n = 0;
      for (const v of this.#suppressed.values()) n += v;
      this.#o.log.warn(
        { input: this.input, rejected: n, byReason: Object.fromEntries(this.#suppressed), seconds },
        `${n} more lines rejected in the last ${seconds} s`,
      );
    }
    for (const [source, w] of this.#sources) {
      if (w.accepted > 0 || w.rejected === 0) continue;
      let top: [RejectKind, { n: number; reason: string }] | undefined;
      for (const e of w.byKind) if (top === undefined || e[1].n > top[1].n) top = e;
      const [kind, { reason }] = top!;
      const hint = REJECTION_HINTS[kind];
      this.#o.log.warn(
        { input: this.input, source, rejected: w.rejected, kind, reason, seconds },
        `every line of ${source} in the last ${seconds} s was rejected (${w.rejected} lines)${hint === undefined ? `: ${reason}` : `: ${hint}`}`,
      );
    }
    this.#windowStart = now;
    this.#logged = 0;
    this.#suppressed = new Map();
    this.#sources = new Map();
  }

  close(): void {
    clearInterval(this.#timer);
    this.roll();
  }

  #window(source: string): SourceWindow {
    let w = this.#sources.get(source);
    if (w === undefined) {
      w = { accepted: 0, rejected: 0, byKind: new Map() };
      this.#sources.set(source, w);
    }
    return w;
  }
}
