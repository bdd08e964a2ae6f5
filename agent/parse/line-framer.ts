/**
 * Newline framing with a length limit, for byte streams (TCP, files, stdin).
 *
 * - A line ends at LF; a CR before the LF is dropped (CRLF senders).
 * - A line longer than `maxLineBytes` is cut: once the pending bytes can no longer fit,
 *   nothing more of that line is kept, only counted, and the framer resyncs at the next
 *   LF, reporting the line's exact length. Memory per stream stays below
 *   `maxLineBytes + 1` whatever a client sends (a 10 MB line, or a slowloris one).
 * - A partial last line is kept across pushes (copied, so a small tail never pins a large
 *   chunk); `end()` hands it on as a line (a missing final newline is fine).
 * - Lines that are empty or only spaces/tabs are reported as blank, with their size.
 *
 * `push` takes ownership of the chunk: complete lines are handed on as subarrays of it.
 */

export interface LineHandler {
  /** A complete line without its terminator; `span` counts the terminator too. */
  line(bytes: Buffer, offset: number, span: number): void;
  /** A line of `length` bytes (terminator excluded) was longer than the limit and dropped. */
  tooLong(length: number, offset: number, span: number): void;
  blank(offset: number, span: number): void;
}

const LF = 0x0a;
const CR = 0x0d;

function isBlank(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09) return false;
  }
  return true;
}

export class LineFramer {
  readonly maxLineBytes: number;
  readonly #h: LineHandler;
  /** Stream offset of the current line's first byte. */
  #lineStart = 0;
  #parts: Buffer[] = [];
  #partLen = 0;
  #discarding = false;
  #discardLen = 0;
  #lastCR = false;

  constructor(maxLineBytes: number, handler: LineHandler) {
    if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(`maxLineBytes: expected a positive integer, found ${maxLineBytes}`);
    }
    this.maxLineBytes = maxLineBytes;
    this.#h = handler;
  }

  /** Bytes held for the partial last line (bounded by maxLineBytes + 1). */
  get pendingBytes(): number {
    return this.#partLen;
  }

  push(chunk: Buffer): void {
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      const nl = chunk.indexOf(LF, i);
      const stop = nl === -1 ? len : nl;
      if (this.#discarding) {
        if (stop > i) {
          this.#discardLen += stop - i;
          this.#lastCR = chunk[stop - 1] === CR;
        }
        if (nl === -1) return;
        const span = this.#discardLen + 1;
        this.#h.tooLong(this.#discardLen - (this.#lastCR ? 1 : 0), this.#lineStart, span);
        this.#lineStart += span;
        this.#discarding = false;
        i = nl + 1;
        continue;
      }
      if (nl === -1) {
        const total = this.#partLen + (len - i);
        // +1: the last byte may yet turn out to be the CR of a CRLF.
        if (total > this.maxLineBytes + 1) {
          this.#discarding = true;
          this.#discardLen = total;
          this.#lastCR = chunk[len - 1] === CR;
          this.#parts = [];
          this.#partLen = 0;
        } else {
          this.#parts.push(Buffer.from(chunk.subarray(i)));
          this.#partLen = total;
        }
        return;
      }
      const raw = this.#partLen + (nl - i);
      const span = raw + 1;
      let line: Buffer;
      if (this.#partLen === 0) {
        line = chunk.subarray(i, nl);
      } else {
        this.#parts.push(chunk.subarray(i, nl));
        line = Buffer.concat(this.#parts, raw);
        this.#parts = [];
        this.#partLen = 0;
      }
      this.#deliver(line, span);
      i = nl + 1;
    }
  }

  /** The stream ended: hands on the partial last line, or reports the line being cut. */
  end(): void {
    if (this.#discarding) {
      const span = this.#discardLen;
      this.#h.tooLong(span - (this.#lastCR ? 1 : 0), this.#lineStart, span);
      this.#lineStart += span;
      this.#discarding = false;
      return;
    }
    if (this.#partLen > 0) {
      const line = Buffer.concat(this.#parts, this.#partLen);
      this.#parts = [];
      this.#partLen = 0;
      this.#deliver(line, line.length);
    }
  }

  #deliver(raw: Buffer, span: number): void {
    const line = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
    const offset = this.#lineStart;
    this.#lineStart += span;
    if (line.length > this.maxLineBytes) this.#h.tooLong(line.length, offset, span);
    else if (isBlank(line)) this.#h.blank(offset, span);
    else this.#h.line(line, offset, span);
  }
}
