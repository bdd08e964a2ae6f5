/**
 * Syslog transports: TCP streams (RFC 6587) and UDP datagrams (RFC 5426).
 *
 * TCP framing is detected per connection from its first byte: a digit means octet
 * counting (`LEN SP MSG`, RFC 6587 3.4.1), anything else non-transparent framing (one
 * message per LF-terminated line, 3.4.2), as rsyslog and syslog-ng do.
 *
 * Octet counting resyncs exactly: an over-long frame is skipped by its length without
 * being buffered. A malformed length cannot be resynced (any later digit could be a
 * length or message text), so the connection is marked `failed`: that frame and every
 * later byte are rejected, counted, and the caller should close the connection. LF, CR
 * or NUL between frames are tolerated (some senders end frames with a newline).
 */
import { LineFramer } from './line-framer.ts';
import { emit, newStats, type ParseOutput, type ParseStats } from './output.ts';
import { SyslogJudge, type SyslogOptions } from './syslog.ts';

export type SyslogFraming = 'octet-counting' | 'non-transparent';

/** A length of more than 10 digits is garbage, not a message (and stays a safe integer). */
const MAX_LEN_DIGITS = 10;

function describeByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? JSON.stringify(String.fromCharCode(c)) : `byte 0x${c.toString(16).padStart(2, '0')}`;
}

/** One TCP connection's byte stream. Never throws on input. */
export class SyslogTcpParser {
  readonly stats: ParseStats = newStats();
  readonly #judge: SyslogJudge;
  readonly #out: ParseOutput;
  #framing: SyslogFraming | undefined;
  #lines: LineFramer | undefined;
  #failed: string | undefined;
  /** Stream offset of the next pushed byte. */
  #pos = 0;
  // Octet-counting state: reading the length (digits > 0 once started) or the body.
  #frameStart = 0;
  #digits = 0;
  #len = 0;
  #inBody = false;
  #remaining = 0;
  #parts: Buffer[] = [];

  /** `judge` may be shared by all connections of one input. */
  constructor(options: SyslogOptions, out: ParseOutput, judge: SyslogJudge = new SyslogJudge(options)) {
    this.#judge = judge;
    this.#out = out;
  }

  /** Detected from the first byte; undefined before any byte arrived. */
  get framing(): SyslogFraming | undefined {
    return this.#framing;
  }

  /** Set after an octet-counting framing error: the reason. The caller should close the connection. */
  get failed(): string | undefined {
    return this.#failed;
  }

  /** Takes ownership of `chunk` (it may be referenced until its frame completes). */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.stats.bytes += chunk.length;
    if (this.#framing === undefined) {
      const c = chunk[0]!;
      this.#framing = c >= 0x30 && c <= 0x39 ? 'octet-counting' : 'non-transparent';
      if (this.#framing === 'non-transparent') this.#lines = this.#lineFramer();
    }
    if (this.#lines !== undefined) {
      this.#lines.push(chunk);
      return;
    }
    const pos = this.#pos;
    this.#pos += chunk.length;
    if (this.#failed !== undefined) {
      const reason = 'discarded after an octet-counting framing error on this connection';
      emit(this.#out, this.stats, { kind: 'framing', reason, offset: pos, span: chunk.length });
      return;
    }
    const max = this.#judge.maxMessageBytes;
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      if (!this.#inBody) {
        const c = chunk[i]!;
        if (this.#digits === 0 && (c === 0x0a || c === 0x0d || c === 0)) {
          this.stats.skippedBytes++;
          i++;
          continue;
        }
        if (c >= 0x30 && c <= 0x39 && (this.#digits > 0 || c !== 0x30) && this.#digits < MAX_LEN_DIGITS) {
          if (this.#digits === 0) this.#frameStart = pos + i;
          this.#len = this.#len * 10 + (c - 0x30);
          this.#digits++;
          i++;
          continue;
        }
        if (c === 0x20 && this.#digits > 0) {
          this.#inBody = true;
          this.#remaining = this.#len;
          i++;
          continue;
        }
        const start = this.#digits === 0 ? pos + i : this.#frameStart;
        this.#failed = `octet-counting: expected a message length (1-${MAX_LEN_DIGITS} digits, no leading zero) and a space, found ${describeByte(c)}`;
        emit(this.#out, this.stats, { kind: 'framing', reason: this.#failed, offset: start, span: pos + len - start });
        this.#parts = [];
        return;
      }
      const take = Math.min(this.#remaining, len - i);
      if (this.#len <= max) this.#parts.push(chunk.subarray(i, i + take));
      this.#remaining -= take;
      i += take;
      if (this.#remaining === 0) this.#completeFrame(max);
    }
  }

  /** The connection closed: a frame cut short is rejected. */
  end(): void {
    if (this.#lines !== undefined) {
      this.#lines.end();
      return;
    }
    if (this.#failed !== undefined || (this.#digits === 0 && !this.#inBody)) return;
    const span = this.#pos - this.#frameStart;
    const reason = this.#inBody
      ? `octet-counting: the connection closed after ${this.#len - this.#remaining} of ${this.#len} message bytes`
      : 'octet-counting: the connection closed inside a frame length';
    emit(this.#out, this.stats, { kind: 'framing', reason, offset: this.#frameStart, span });
    this.#resetFrame();
  }

  #completeFrame(max: number): void {
    const span = this.#digits + 1 + this.#len;
    const offset = this.#frameStart;
    if (this.#len > max) {
      const reason = `message too long (${this.#len} bytes > ${max})`;
      emit(this.#out, this.stats, { kind: 'too-long', reason, offset, span });
    } else {
      const parts = this.#parts;
      const msg = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.#len);
      emit(this.#out, this.stats, this.#judge.judge(msg, offset, span));
    }
    this.#resetFrame();
  }

  #resetFrame(): void {
    this.#digits = 0;
    this.#len = 0;
    this.#inBody = false;
    this.#remaining = 0;
    this.#parts = [];
  }

  #lineFramer(): LineFramer {
    const judge = this.#judge;
    const out = this.#out;
    const stats = this.stats;
    const max = judge.maxMessageBytes;
    return new LineFramer(max, {
      line: (bytes, offset, span) => emit(out, stats, judge.judge(bytes, offset, span)),
      tooLong: (length, offset, span) =>
        emit(out, stats, { kind: 'too-long', reason: `line too long (${length} bytes > ${max})`, offset, span }),
      blank: (_offset, span) => {
        stats.skippedBytes += span;
      },
    });
  }
}

/** UDP: one message per datagram (RFC 5426 3.1). Offsets count datagram bytes received so far. */
export class SyslogUdpParser {
  readonly stats: ParseStats = newStats();
  readonly #judge: SyslogJudge;
  readonly #out: ParseOutput;
  #pos = 0;

  constructor(options: SyslogOptions, out: ParseOutput, judge: SyslogJudge = new SyslogJudge(options)) {
    this.#judge = judge;
    this.#out = out;
  }

  push(datagram: Buffer): void {
    const offset = this.#pos;
    this.#pos += datagram.length;
    this.stats.bytes += datagram.length;
    emit(this.#out, this.stats, this.#judge.judge(datagram, offset, datagram.length));
  }
}
