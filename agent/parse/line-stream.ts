/**
 * One byte stream (a file, a TCP connection, stdin) to records, through the stages its
 * input is configured with:
 *
 *   LineFramer -> [ContainerLogDecoder] -> [MultilineJoiner] -> LineJudge -> ParseOutput
 *
 * The container-log decoder strips the CRI / Docker json-file envelope of Kubernetes
 * container logs and joins partial lines; the multiline joiner joins a stack trace to
 * the line it follows; the judge makes each message a record or a rejection, in the
 * input's format (json, text, auto).
 *
 * Accounting (output.ts): every input byte belongs to exactly one accepted record, one
 * rejection, or the skipped blank lines. Records and rejections leave in stream order,
 * except that a container's stdout and stderr partial lines complete independently;
 * `heldFrom` says where the earliest held byte is, so a checkpoint never passes it.
 */
import { ContainerLogDecoder } from './container-log.ts';
import { LineFramer } from './line-framer.ts';
import { DEFAULT_MAX_LINE_BYTES, type LineJudge } from './line-judge.ts';
import type { Message } from './message.ts';
import { MultilineJoiner, type MultilineOptions } from './multiline.ts';
import { emit, newStats, type ParseOutput, type ParseStats, type Rejection } from './output.ts';
import { type ExtraField, extraField } from './record.ts';

export interface LineStreamOptions {
  judge: LineJudge;
  /** Longer lines (and joined messages) are rejected. @default DEFAULT_MAX_LINE_BYTES */
  maxLineBytes?: number | undefined;
  /** Kubernetes container logs: decode the CRI / Docker json-file envelope first. */
  container?: boolean | undefined;
  /** Join multiline events; a fresh join rule per stream (rules may keep state). */
  multiline?: (() => MultilineOptions) | undefined;
  /** Clock for the multiline timeout. @default Date.now */
  now?: (() => number) | undefined;
}

const STREAM_EXTRA: Readonly<Record<string, readonly ExtraField[]>> = {
  stdout: [extraField('stream', 'stdout')],
  stderr: [extraField('stream', 'stderr')],
};

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

export class LineStream {
  readonly stats: ParseStats = newStats();
  readonly #framer: LineFramer;
  readonly #decoder: ContainerLogDecoder | undefined;
  readonly #joiner: MultilineJoiner | undefined;
  readonly #judge: LineJudge;
  readonly #out: ParseOutput;
  readonly #now: () => number;

  constructor(options: LineStreamOptions, out: ParseOutput) {
    const limit = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.#judge = options.judge;
    this.#out = out;
    this.#now = options.now ?? Date.now;
    const stats = this.stats;
    const skip = (_offset: number, span: number) => {
      stats.skippedBytes += span;
    };
    this.#joiner =
      options.multiline === undefined
        ? undefined
        : new MultilineJoiner(options.multiline(), { message: (m) => this.#judgeMessage(m), blank: skip });
    const blank = this.#joiner === undefined ? skip : (o: number, s: number) => this.#joiner!.blank(o, s);
    const message = (m: Message) => {
      if (isBlank(m.bytes)) blank(m.offset, m.span);
      else if (this.#joiner === undefined) this.#judgeMessage(m);
      else this.#joiner.push(m, this.#now());
    };
    this.#decoder = options.container
      ? new ContainerLogDecoder({ maxMessageBytes: limit }, { message, reject: (r) => this.#reject(r) })
      : undefined;
    const judge = this.#judge;
    this.#framer = new LineFramer(limit, {
      // Without a decoder or joiner (plain NDJSON, the hot path) a line goes straight to the
      // judge: no Message object, no second blank check (the framer reports blank lines).
      line:
        this.#decoder !== undefined
          ? (bytes, offset, span) => this.#decoder!.line(bytes, offset, span)
          : this.#joiner !== undefined
            ? (bytes, offset, span) => message({ bytes, offset, span })
            : (bytes, offset, span) => emit(out, stats, judge.judge(bytes, offset, span)),
      tooLong: (length, offset, span) =>
        this.#reject({ kind: 'too-long', reason: `line too long (${length} bytes > ${limit})`, offset, span }),
      blank,
    });
  }

  /** Bytes held: a partial last line, partial container lines, an open multiline message. */
  get pendingBytes(): number {
    return this.#framer.pendingBytes + (this.#decoder?.pendingBytes ?? 0) + (this.#joiner?.pendingBytes ?? 0);
  }

  /** Stream offset of the earliest byte held in a partial container line or an open multiline message. */
  get heldFrom(): number | undefined {
    const a = this.#decoder?.heldFrom;
    const b = this.#joiner?.heldFrom;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** Takes ownership of `chunk` (accepted lines may be subarrays of it). */
  push(chunk: Buffer): void {
    this.stats.bytes += chunk.length;
    this.#framer.push(chunk);
  }

  /** Sends a multiline message that waited past its timeout. */
  tick(nowMs: number = this.#now()): void {
    this.#joiner?.tick(nowMs);
  }

  /** The stream ended: the partial last line, partial container lines and an open message are judged too. */
  end(): void {
    this.#framer.end();
    this.#decoder?.end();
    this.#joiner?.flush();
  }

  #judgeMessage(m: Message): void {
    const hint =
      m.timeMs === undefined && m.stream === undefined
        ? undefined
        : { timeMs: m.timeMs, extra: m.stream === undefined ? undefined : STREAM_EXTRA[m.stream] };
    emit(this.#out, this.stats, this.#judge.judge(m.bytes, m.offset, m.span, hint));
  }

  /** A rejection leaves after the open message before it, so records stay in stream order. */
  #reject(r: Rejection): void {
    this.#joiner?.flush();
    emit(this.#out, this.stats, r);
  }
}
