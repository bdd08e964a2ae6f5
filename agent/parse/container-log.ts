/**
 * Kubernetes container log files (/var/log/containers/*.log) to messages: strips the
 * runtime's envelope and joins the partial lines a runtime splits a long line into.
 *
 * Two formats, detected per line (a line starting with "{" is Docker json-file, else CRI):
 *
 * - CRI (containerd, CRI-O): `<time> <stream> <tag> <content>`, e.g.
 *   `2026-11-30T13:28:53.696123456Z stdout F hello world`. `time` is RFC 3339 with up to
 *   nanoseconds (Go's RFC3339Nano; an offset instead of `Z` is accepted), `stream` is
 *   `stdout` or `stderr`, `tag` is `:`-separated fields of which the first is `P` (partial)
 *   or `F` (full, the final part). The content is the rest of the line after one space; it
 *   may be empty, and `... stdout F` with no space after the tag is read as empty content
 *   too (kubelet rejects that line; losing nothing is the better choice here). CRI content is
 *   never decoded: it is a subarray of the line, so invalid UTF-8 reaches the judge as is.
 * - Docker json-file: `{"log":"hello world\n","stream":"stderr","time":"..."}`. A `log`
 *   not ending with "\n" is a partial line (Docker splits at 16 KiB); the following lines
 *   of the same stream continue it until one ends with "\n". That "\n", and a "\r" before
 *   it, are not part of the message.
 *
 * Partial lines are joined per stream (stdout and stderr interleave freely) and a message
 * is emitted when its final part arrives, so messages come out in the order they complete.
 * A message's `offset` is where its first part started and its `span` runs to the end of
 * its last part: with interleaved streams that range covers the other stream's lines too
 * (accepted; `heldFrom` is what keeps a checkpoint from passing an unfinished message).
 * `timeMs` is the first part's time, truncated to the millisecond.
 *
 * Memory is bounded by `maxMessageBytes` per stream (+1 for a Docker part ending in the
 * CR of a CRLF whose LF is still to come): a message that outgrows it is dropped
 * and rejected 'too-long' once (from its first part through the part that pushed it over),
 * then each later part up to its final one is rejected 'too-long' on its own, and nothing
 * of it is kept. A line valid in neither format is rejected 'bad-container-log' with its
 * own offset/span; it does not disturb a partial message in progress on either stream.
 *
 * Partial parts are copied when held (so a small part never pins a large read chunk); a
 * message made of one full line is a subarray of the line, no copy.
 *
 * References:
 * - CRI log format: https://github.com/kubernetes/design-proposals-archive/blob/main/node/kubelet-cri-logging.md,
 *   and kubelet's reader, pkg/kubelet/kuberuntime/logs/logs.go (parseCRILog,
 *   parseDockerJSONLog); the tags are LogTagPartial / LogTagFull / LogTagDelimiter in
 *   k8s.io/cri-api/pkg/apis/runtime/v1/constants.go.
 * - Docker json-file: moby daemon/logger/jsonfilelog; the 16 KiB split is
 *   daemon/logger/copier.go (bufSize).
 * - File names: kubelet pkg/kubelet/kuberuntime/legacy.go (logSymlink).
 */
import type { Message } from './message.ts';
import { QUOTE_MAX, quote, type Rejection } from './output.ts';
import { daysIn } from './timestamp.ts';

export interface ContainerLogOutput {
  message(m: Message): void;
  reject(r: Rejection): void;
}

export interface ContainerLogOptions {
  /** Longest reassembled message in bytes; beyond it the message is rejected kind 'too-long' (its remaining parts discarded until its final part). */
  maxMessageBytes: number;
}

const SP = 0x20;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const BRACE = 0x7b;

const STREAMS = ['stdout', 'stderr'] as const;
type StreamIndex = 0 | 1;

const TIME_EXPECTED = 'an RFC 3339 date-time like 2026-11-30T13:28:53.696123456Z';
const STREAM_EXPECTED = 'expected "stdout" or "stderr"';
/** Bytes decoded for a quoted excerpt: enough for QUOTE_MAX characters of any UTF-8. */
const EXCERPT_BYTES = 4 * QUOTE_MAX + 4;
/** JSON.parse messages quote at most a short excerpt of the input; this keeps "(line 1 column N)". */
const JSON_ERROR_MAX = 100;
/** A Docker `time` longer than this is not a time; RFC3339Nano with an offset is 35. */
const TIME_MAX_CHARS = 40;

/** An excerpt of `b[a, e)` for a reason, or "the end of the line" when nothing is there. */
function excerpt(b: Buffer, a: number, e: number): string {
  if (a >= b.length) return 'the end of the line';
  return quote(b.toString('utf8', a, Math.min(e, a + EXCERPT_BYTES)));
}

/** What a reason says was found for a JSON field. */
function found(v: unknown): string {
  return v === undefined ? 'nothing' : quote(v);
}

/** Two ASCII digits at i as a number, or -1. */
function d2(b: Uint8Array, i: number): number {
  const x = b[i]! - 0x30;
  const y = b[i + 1]! - 0x30;
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -1;
}

/** Date.UTC maps years 0-99 to 1900-1999; 400 Gregorian years later is the same calendar. */
const MS_PER_400_YEARS = 146_097 * 86_400_000;

/**
 * RFC 3339 `YYYY-MM-DDTHH:MM:SS[.fraction]Z|±HH:MM` in `b[a, e)` to ms since the epoch
 * (fraction truncated), or NaN. A byte scan: this runs once per CRI line.
 */
function rfc3339Ms(b: Uint8Array, a: number, e: number): number {
  if (e - a < 20) return Number.NaN;
  const c = d2(b, a);
  const yy = d2(b, a + 2);
  const mo = d2(b, a + 5);
  const d = d2(b, a + 8);
  const h = d2(b, a + 11);
  const mi = d2(b, a + 14);
  const s = d2(b, a + 17);
  if (
    c < 0 ||
    yy < 0 ||
    mo < 1 ||
    mo > 12 ||
    d < 1 ||
    h < 0 ||
    h > 23 ||
    mi < 0 ||
    mi > 59 ||
    s < 0 ||
    s > 59 ||
    b[a + 4] !== 0x2d ||
    b[a + 7] !== 0x2d ||
    (b[a + 10]! | 0x20) !== 0x74 ||
    b[a + 13] !== COLON ||
    b[a + 16] !== COLON
  ) {
    return Number.NaN;
  }
  const y = c * 100 + yy;
  if (d > daysIn(y, mo - 1)) return Number.NaN;
  let i = a + 19;
  let ms = 0;
  if (b[i] === 0x2e) {
    const first = ++i;
    let scale = 100;
    while (i < e) {
      const digit = b[i]! - 0x30;
      if (digit < 0 || digit > 9) break;
      ms += digit * scale;
      scale = (scale / 10) | 0;
      i++;
    }
    if (i === first) return Number.NaN;
  }
  let zoneMin = 0;
  const z = b[i]!;
  if ((z | 0x20) === 0x7a) {
    if (i + 1 !== e) return Number.NaN;
  } else if ((z === 0x2b || z === 0x2d) && i + 6 === e && b[i + 3] === COLON) {
    const zh = d2(b, i + 1);
    const zm = d2(b, i + 4);
    if (zh < 0 || zh > 23 || zm < 0 || zm > 59) return Number.NaN;
    zoneMin = (z === 0x2d ? -1 : 1) * (zh * 60 + zm);
  } else {
    return Number.NaN;
  }
  const t =
    y >= 100 ? Date.UTC(y, mo - 1, d, h, mi, s, ms) : Date.UTC(y + 400, mo - 1, d, h, mi, s, ms) - MS_PER_400_YEARS;
  return t - zoneMin * 60_000;
}

/** `stdout` / `stderr` as b[i, i + 6), or -1. */
function streamAt(b: Buffer, i: number): StreamIndex | -1 {
  if (i + 6 > b.length || b[i] !== 0x73 || b[i + 1] !== 0x74 || b[i + 2] !== 0x64) return -1;
  const x = b[i + 3];
  const y = b[i + 4];
  const z = b[i + 5];
  if (x === 0x6f && y === 0x75 && z === 0x74) return 0;
  if (x === 0x65 && y === 0x72 && z === 0x72) return 1;
  return -1;
}

/** Scratch for a Docker `time` string, so parsing it allocates nothing. */
const timeScratch = Buffer.alloc(4 * TIME_MAX_CHARS);

/** One stream's unfinished message. */
interface Partial {
  /** A message is open: parts held, or (discarding) being rejected until its final part. */
  open: boolean;
  discarding: boolean;
  /** Stream offset of its first part. */
  offset: number;
  /** Stream offset just past its last part so far. */
  end: number;
  timeMs: number;
  /** Held content (copies), empty parts left out. */
  parts: Buffer[];
  bytes: number;
}

const newPartial = (): Partial => ({
  open: false,
  discarding: false,
  offset: 0,
  end: 0,
  timeMs: 0,
  parts: [],
  bytes: 0,
});

/** Holds (unemitted) input: open and not being discarded. */
const held = (p: Partial): boolean => p.open && !p.discarding;

/**
 * One container log file. Feed it the framed lines of the file (LineFramer `line`
 * callbacks) and call `end()` when the file is finished. Never throws on input.
 */
export class ContainerLogDecoder {
  readonly maxMessageBytes: number;
  readonly #out: ContainerLogOutput;
  readonly #partials: readonly [Partial, Partial] = [newPartial(), newPartial()];

  constructor(options: ContainerLogOptions, out: ContainerLogOutput) {
    const max = options.maxMessageBytes;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxMessageBytes: expected a positive integer, found ${max}`);
    }
    this.maxMessageBytes = max;
    this.#out = out;
  }

  /** Stream offset of the first byte held in an unfinished partial message (of any stream); undefined when none is held. */
  get heldFrom(): number | undefined {
    const [o, e] = this.#partials;
    if (held(o)) return held(e) ? Math.min(o.offset, e.offset) : o.offset;
    return held(e) ? e.offset : undefined;
  }

  /** Bytes held in unfinished partial messages. */
  get pendingBytes(): number {
    return this.#partials[0].bytes + this.#partials[1].bytes;
  }

  /** One framed line of the file (no newline); `offset`/`span` as the framer reports them. */
  line(bytes: Buffer, offset: number, span: number): void {
    if (bytes[0] === BRACE) this.#docker(bytes, offset, span);
    else this.#cri(bytes, offset, span);
  }

  /** The file ended: each unfinished partial message is emitted as it is, oldest first. */
  end(): void {
    const [o, e] = this.#partials;
    const order: StreamIndex[] = o.offset <= e.offset ? [0, 1] : [1, 0];
    for (const s of order) {
      const p = this.#partials[s];
      if (held(p)) {
        const bytes = p.parts.length === 1 ? p.parts[0]! : Buffer.concat(p.parts, p.bytes);
        this.#emit(bytes, p.offset, p.end - p.offset, p.timeMs, s);
      }
      this.#reset(p);
    }
  }

  #cri(b: Buffer, offset: number, span: number): void {
    const len = b.length;
    let sp = b.indexOf(SP);
    if (sp === -1) sp = len;
    const timeMs = rfc3339Ms(b, 0, sp);
    if (Number.isNaN(timeMs)) {
      this.#bad(`CRI time: expected ${TIME_EXPECTED}, found ${excerpt(b, 0, sp)}`, offset, span);
      return;
    }
    const si = sp + 1;
    const stream = streamAt(b, si);
    if (stream === -1 || (si + 6 < len && b[si + 6] !== SP)) {
      let e = b.indexOf(SP, si);
      if (e === -1) e = len;
      this.#bad(`CRI stream: ${STREAM_EXPECTED}, found ${excerpt(b, si, e)}`, offset, span);
      return;
    }
    const ti = si + 7;
    let te = ti;
    while (te < len && b[te] !== SP) te++;
    const tag = b[ti];
    if ((tag !== 0x46 && tag !== 0x50) || (te > ti + 1 && b[ti + 1] !== COLON)) {
      this.#bad(`CRI tag: expected "F" or "P", found ${excerpt(b, ti, te)}`, offset, span);
      return;
    }
    const content = te < len ? b.subarray(te + 1) : b.subarray(len);
    this.#part(stream, content, true, tag === 0x46, false, timeMs, offset, span);
  }

  #docker(b: Buffer, offset: number, span: number): void {
    let rec: Record<string, unknown>;
    try {
      // A line starting with "{" that parses is an object.
      rec = JSON.parse(b.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      const reason = `Docker json-file: not valid JSON: ${(err as Error).message.slice(0, JSON_ERROR_MAX)}`;
      this.#bad(reason, offset, span);
      return;
    }
    const log = rec.log;
    if (typeof log !== 'string') {
      this.#bad(`Docker json-file "log": expected a string, found ${found(log)}`, offset, span);
      return;
    }
    const s = rec.stream === 'stdout' ? 0 : rec.stream === 'stderr' ? 1 : -1;
    if (s === -1) {
      this.#bad(`Docker json-file "stream": ${STREAM_EXPECTED}, found ${found(rec.stream)}`, offset, span);
      return;
    }
    const time = rec.time;
    let timeMs = Number.NaN;
    if (typeof time === 'string' && time.length <= TIME_MAX_CHARS) {
      timeMs = rfc3339Ms(timeScratch, 0, timeScratch.write(time, 'utf8'));
    }
    if (Number.isNaN(timeMs)) {
      this.#bad(`Docker json-file "time": expected ${TIME_EXPECTED}, found ${found(time)}`, offset, span);
      return;
    }
    const final = log.length > 0 && log.charCodeAt(log.length - 1) === LF;
    const content = Buffer.from(final ? log.slice(0, -1) : log, 'utf8');
    this.#part(s, content, false, final, true, timeMs, offset, span);
  }

  /**
   * One part of a message on stream `s`. `copy`: `content` shares memory with the read
   * chunk, so a held part is copied. `crlf` (Docker): a "\r" before the "\n" that ends
   * the message is not part of it, even when the "\r" came in the part before.
   */
  #part(
    s: StreamIndex,
    content: Buffer,
    copy: boolean,
    final: boolean,
    crlf: boolean,
    timeMs: number,
    offset: number,
    span: number,
  ): void {
    const p = this.#partials[s];
    const max = this.maxMessageBytes;
    if (p.discarding) {
      this.#out.reject({ kind: 'too-long', reason: `rest of a message too long (> ${max} bytes)`, offset, span });
      if (final) this.#reset(p);
      return;
    }
    const held = p.bytes + content.length;
    // A trailing CR counts only once its LF is known not to follow (as in LineFramer), so
    // up to maxMessageBytes + 1 bytes may be held.
    let cut = 0;
    if (crlf) {
      const last = content.length > 0 ? content : p.parts[p.parts.length - 1];
      if (last !== undefined && last[last.length - 1] === CR) cut = 1;
    }
    const length = held - cut;
    const start = p.open ? p.offset : offset;
    const end = offset + span;
    if (length > max) {
      const reason = final
        ? `message too long (${length} bytes > ${max})`
        : `partial message too long (${length} bytes so far > ${max}); its later parts are rejected too`;
      this.#out.reject({ kind: 'too-long', reason, offset: start, span: end - start });
      this.#reset(p);
      if (!final) {
        p.open = true;
        p.discarding = true;
      }
      return;
    }
    if (final) {
      let bytes: Buffer;
      if (p.parts.length === 0) {
        bytes = content;
      } else {
        p.parts.push(content);
        bytes = Buffer.concat(p.parts, held);
      }
      if (cut === 1) bytes = bytes.subarray(0, length);
      const t = p.open ? p.timeMs : timeMs;
      this.#reset(p);
      this.#emit(bytes, start, end - start, t, s);
      return;
    }
    if (!p.open) {
      p.open = true;
      p.offset = offset;
      p.timeMs = timeMs;
    }
    if (content.length > 0) p.parts.push(copy ? Buffer.from(content) : content);
    p.bytes = held;
    p.end = end;
  }

  #emit(bytes: Buffer, offset: number, span: number, timeMs: number, s: StreamIndex): void {
    this.#out.message({ bytes, offset, span, timeMs, stream: STREAMS[s], lines: 1 });
  }

  #bad(reason: string, offset: number, span: number): void {
    this.#out.reject({ kind: 'bad-container-log', reason, offset, span });
  }

  #reset(p: Partial): void {
    p.open = false;
    p.discarding = false;
    p.parts = [];
    p.bytes = 0;
  }
}

/** What kubelet's /var/log/containers file name says about the container. */
export interface ContainerFile {
  namespace: string;
  pod: string;
  container: string;
  containerId: string;
}

/**
 * `<pod>_<namespace>_<container>-<64 hex container id>.log`. Pod names are DNS subdomains
 * and namespaces and container names DNS labels (lowercase letters, digits, "-", and "."
 * in pod names), so "_" cannot occur in them and the ID is the last 64 hex digits even
 * when the container name has a "-". kubelet cuts a name longer than 255 bytes, losing
 * (part of) the ID: such a name does not match.
 */
const CONTAINER_FILE = /^([a-z0-9][a-z0-9.-]*)_([a-z0-9][a-z0-9-]*)_([a-z0-9][a-z0-9-]*)-([0-9a-f]{64})\.log$/;

/** kubelet's name for /var/log/containers entries (basename of the path); undefined when the name does not have that shape. */
export function parseContainerFileName(filePath: string): ContainerFile | undefined {
  const m = CONTAINER_FILE.exec(filePath.slice(filePath.lastIndexOf('/') + 1));
  if (m === null) return undefined;
  return { pod: m[1]!, namespace: m[2]!, container: m[3]!, containerId: m[4]! };
}

const TEMPLATE_FIELDS: readonly (keyof ContainerFile)[] = ['namespace', 'pod', 'container', 'containerId'];
export const TEMPLATE_EXPECTED = '{namespace}, {pod}, {container} or {containerId}';
const PLACEHOLDER = /\{([^{}]*)\}/g;
/** What a configured logId may hold (config/log-id.ts): a rendered logId must be one an operator can configure. */
const NOT_IN_LOG_ID = /[^A-Za-z0-9_-]/g;
const LOG_ID_MAX = 64;

/** Checks a logId template once at config time: an error message, or undefined when it is fine. */
export function checkLogIdTemplate(template: string): string | undefined {
  if (typeof template !== 'string' || template.length === 0) {
    return `logId template: expected a non-empty string such as "{namespace}-{container}", found ${quote(template)}`;
  }
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!TEMPLATE_FIELDS.includes(m[1] as keyof ContainerFile)) {
      return `logId template ${quote(template)}: unknown placeholder ${quote(m[0])}, expected ${TEMPLATE_EXPECTED}`;
    }
  }
  const rest = template.replace(PLACEHOLDER, '');
  if (rest.includes('{') || rest.includes('}')) {
    return `logId template ${quote(template)}: a "{" or "}" outside a placeholder; placeholders are ${TEMPLATE_EXPECTED}`;
  }
  const bad = rest.match(NOT_IN_LOG_ID);
  if (bad !== null) {
    return `logId template ${quote(template)}: ${quote(bad[0])} outside a placeholder; a configured logId holds only letters, digits, "_" and "-"`;
  }
  return undefined;
}

/**
 * Renders a logId template such as `{namespace}-{container}` with the fields of `file`.
 * Characters of a field a configured logId cannot hold (it holds A-Z a-z 0-9 _ -; a pod
 * name may have ".") become "-", and the result is cut to 64 characters. Throws a TypeError for a template `checkLogIdTemplate`
 * rejects (an unknown placeholder, a stray brace, an empty template).
 */
export function renderLogIdTemplate(template: string, file: ContainerFile): string {
  const problem = checkLogIdTemplate(template);
  if (problem !== undefined) throw new TypeError(problem);
  return template
    .replace(PLACEHOLDER, (_, name: keyof ContainerFile) => file[name])
    .replace(NOT_IN_LOG_ID, '-')
    .slice(0, LOG_ID_MAX);
}
