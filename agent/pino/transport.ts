/**
 * `spillway/pino`: a pino transport that ships a service's logs to the local Spillway
 * agent's HTTP input as NDJSON batches.
 *
 *   pino({ transport: { targets: [{ target: 'spillway/pino', options: { logId: 'checkout' } }] } })
 *
 * It runs in pino's transport worker thread, so the service's event loop never waits for
 * it. When the agent is down it keeps a bounded buffer and, when that is full, sheds the
 * lowest level first (oldest first within a level), counting every shed line; it never
 * throws into the service. Lines are forwarded as pino wrote them; only `logId` is spliced
 * in when the line lacks one.
 *
 * Urgent slot (issue #11): one request at a time carries the buffered lines, highest level
 * first; while it is out (the agent answers once the lines are stored, which takes longer
 * under a flood), error and fatal lines go at once in a second request of their own, so an
 * ERROR line never waits for an INFO request to be answered.
 */
import build from 'pino-abstract-transport';

export interface SpillwayPinoOptions {
  /** The agent's HTTP input. @default 'http://127.0.0.1:9880' */
  url?: string;
  /** logId added to lines that carry none. */
  logId?: string;
  /** Lines kept while the agent is unreachable. @default 10000 */
  maxBufferedLines?: number;
  /** Lines per request. @default 500 */
  batchLines?: number;
  /** Send at least this often. @default 200 */
  flushMs?: number;
  /** Per-request timeout. @default 40000 */
  timeoutMs?: number;
}

/** 10,000 lines of ~300 B: ~3 MB of a service's memory, about a minute of a busy service. */
export const DEFAULT_MAX_BUFFERED_LINES = 10_000;
export const DEFAULT_BATCH_LINES = 500;
export const DEFAULT_FLUSH_MS = 200;
/**
 * 40 s: above the longest the agent may hold an answer (3 tries of its 10 s uplink timeout
 * plus backoff, then the spool); a shorter timeout would resend batches the agent is still
 * storing and duplicate them.
 */
export const DEFAULT_TIMEOUT_MS = 40_000;
/** How long the transport may hold the service's exit to ship what it buffered. */
const CLOSE_GRACE_MS = 5_000;
/** Shed counts are reported on stderr at most this often. */
const REPORT_EVERY_MS = 10_000;

const LEVEL_RE = /"level":(\d+)/;
/** pino's error level: lines at it or above use the urgent slot. */
export const URGENT_LEVEL = 50;

/** pino's numeric level of a line (30 = info when absent or unreadable). */
export function levelOfLine(line: string): number {
  const m = LEVEL_RE.exec(line.slice(0, 64)) ?? LEVEL_RE.exec(line);
  return m ? Number(m[1]) : 30;
}

/** Adds `"logId":"<id>"` right after the opening brace when the line has no logId. */
export function withLogId(line: string, logId: string | undefined): string {
  if (!logId || line.includes('"logId":') || !line.startsWith('{')) return line;
  return `{"logId":${JSON.stringify(logId)},${line.slice(1)}`;
}

/**
 * Lines waiting for the agent, one FIFO per pino level. Full: the oldest line of the lowest
 * level present goes first, unless the new line is itself lower than everything held.
 */
export class LevelBuffer {
  readonly #max: number;
  readonly #byLevel = new Map<number, string[]>();
  #size = 0;
  readonly shed = new Map<number, number>();

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#size;
  }

  push(line: string, level: number): void {
    if (this.#size >= this.#max) {
      const lowest = Math.min(...[...this.#byLevel].filter(([, q]) => q.length > 0).map(([l]) => l));
      if (level < lowest) {
        this.shed.set(level, (this.shed.get(level) ?? 0) + 1);
        return;
      }
      this.#byLevel.get(lowest)!.shift();
      this.#size--;
      this.shed.set(lowest, (this.shed.get(lowest) ?? 0) + 1);
    }
    const q = this.#byLevel.get(level) ?? [];
    q.push(line);
    this.#byLevel.set(level, q);
    this.#size++;
  }

  /** Takes up to n lines, oldest first across levels by arrival is not tracked: higher levels first, so errors ship first after an outage. */
  take(n: number, minLevel = 0): string[] {
    const out: string[] = [];
    for (const level of [...this.#byLevel.keys()].sort((a, b) => b - a)) {
      if (level < minLevel) break;
      const q = this.#byLevel.get(level)!;
      while (q.length > 0 && out.length < n) out.push(q.shift()!);
      if (out.length >= n) break;
    }
    this.#size -= out.length;
    return out;
  }

  /** Puts lines back at the front (a send failed). Over the bound, the usual shedding applies. */
  unshift(lines: string[]): void {
    for (const line of [...lines].reverse()) {
      const level = levelOfLine(line);
      const q = this.#byLevel.get(level) ?? [];
      q.unshift(line);
      this.#byLevel.set(level, q);
      this.#size++;
    }
    while (this.#size > this.#max) {
      const lowest = Math.min(...[...this.#byLevel].filter(([, q]) => q.length > 0).map(([l]) => l));
      this.#byLevel.get(lowest)!.pop();
      this.#size--;
      this.shed.set(lowest, (this.shed.get(lowest) ?? 0) + 1);
    }
  }
}

export default async function spillwayTransport(options: SpillwayPinoOptions = {}) {
  const url = new URL('/v1/lines', options.url ?? 'http://127.0.0.1:9880').toString();
  const buffer = new LevelBuffer(options.maxBufferedLines ?? DEFAULT_MAX_BUFFERED_LINES);
  const batchLines = options.batchLines ?? DEFAULT_BATCH_LINES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let sending: Promise<boolean> | undefined;
  let urgentSending: Promise<boolean> | undefined;
  /** The last request failed: the agent is down, so every line waits in the buffer (one request at a time). */
  let unreachable = false;
  /** Lines the agent refused for good (4xx): counted and reported like shed lines. */
  let refused = 0;
  let lastReport = 0;
  let reportedShed = 0;

  const report = (force = false) => {
    const total = [...buffer.shed.values()].reduce((s, n) => s + n, 0);
    if (total === reportedShed || (!force && Date.now() - lastReport < REPORT_EVERY_MS)) return;
    lastReport = Date.now();
    reportedShed = total;
    const byLevel = [...buffer.shed].map(([l, n]) => `level ${l}: ${n}`).join(', ');
    process.stderr.write(`spillway/pino: agent at ${url} unreachable; shed ${total} lines so far (${byLevel})\n`);
  };

  /** One flush at a time; a caller arriving during one gets its result. */
  function flush(): Promise<boolean> {
    sending ??= send(0).finally(() => {
      sending = undefined;
    });
    return sending;
  }

  /**
   * While a flush is out, error lines go in a request of their own (one at a time); with none
   * out they leave with the next flush, highest level first, as every line does. Not while
   * the agent is unreachable: then nothing would get through either way, and the lines of a
   * second request would sit outside the buffer's bound.
   */
  function flushUrgent(): void {
    if (!sending || unreachable) return;
    urgentSending ??= send(URGENT_LEVEL).finally(() => {
      urgentSending = undefined;
    });
  }

  /** Sends the buffered lines at `minLevel` or above until none are left or a request fails. */
  async function send(minLevel: number): Promise<boolean> {
    for (;;) {
      const lines = buffer.take(batchLines, minLevel);
      if (lines.length === 0) return true;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-ndjson' },
          body: `${lines.join('\n')}\n`,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer();
        if (res.status >= 500 || res.status === 429) throw new Error(`agent answered ${res.status}`);
        // Other 4xx: the agent refused the request itself (wrong URL, body too large):
        // resending would not help; counted and reported, never silent.
        if (res.status >= 400) {
          refused += lines.length;
          process.stderr.write(
            `spillway/pino: agent at ${url} answered ${res.status}; ${refused} lines refused so far\n`,
          );
        }
      } catch {
        unreachable = true;
        buffer.unshift(lines);
        report();
        return false;
      }
      unreachable = false;
    }
  }

  const timer = setInterval(() => void flush(), options.flushMs ?? DEFAULT_FLUSH_MS);
  timer.unref();

  return build(
    async (source: AsyncIterable<string>) => {
      for await (const line of source) {
        if (!line) continue;
        const level = levelOfLine(line);
        buffer.push(withLogId(line, options.logId), level);
        if (level >= URGENT_LEVEL) flushUrgent();
        else if (buffer.size >= batchLines) void flush();
      }
    },
    {
      parse: 'lines',
      async close() {
        clearInterval(timer);
        // Last chance on shutdown, bounded so the service's exit is not held: then report what is left.
        await Promise.race([
          Promise.all([flush(), urgentSending]),
          new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref()),
        ]);
        for (const l of buffer.take(buffer.size))
          buffer.shed.set(levelOfLine(l), (buffer.shed.get(levelOfLine(l)) ?? 0) + 1);
        report(true);
      },
    },
  );
}
