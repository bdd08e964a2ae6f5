/**
 * An HTTP destination with a fixed capacity, for the channel-priority test and
 * bench/channels.ts: it takes ndjson (or JSON array) POSTs and serves them one at a time, in
 * arrival order, each taking `lines / recordsPerSec` seconds, as a destination that is
 * saturated does (a single ingest queue, a fixed rate). A request's records count as arrived
 * when its service ends, just before the 200 goes back, so the time a record spends queued
 * in the destination is part of its measured latency. Service times are kept on a virtual
 * clock (a request starts when it arrived or when the one before it ended, whichever is
 * later), so a late timer in a busy process delays answers but never loses capacity.
 * Loopback only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { splitLines } from '../core/lines.ts';

export interface CapacityReceiverOptions {
  /** Records per second the destination serves. */
  recordsPerSec: number;
  /** Called with each request's records (one Buffer per line) when its service ends. */
  onRecords: (lines: Buffer[], atMs: number) => void;
}

export interface CapacityReceiver {
  url: string;
  /** Records served so far. */
  readonly served: number;
  /** Requests waiting for or in service now. */
  readonly queued: number;
  close(): Promise<void>;
}

/** The lines of an ndjson body, or the elements of a JSON array body (as Spillway's http sink writes them). */
export function linesOf(body: Buffer): Buffer[] {
  if (body[0] === 0x5b /* [ */) {
    return (JSON.parse(body.toString()) as unknown[]).map((v) => Buffer.from(JSON.stringify(v)));
  }
  return splitLines(body);
}

export async function startCapacityReceiver(o: CapacityReceiverOptions): Promise<CapacityReceiver> {
  if (!(o.recordsPerSec > 0)) throw new RangeError(`recordsPerSec must be > 0, got ${o.recordsPerSec}`);
  const waiting: { lines: Buffer[]; res: http.ServerResponse; arrivedAt: number }[] = [];
  let busy = false;
  /** When the request in service ends (virtual clock). */
  let freeAt = 0;
  let served = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  const next = (): void => {
    if (busy || closed) return;
    const job = waiting.shift();
    if (!job) return;
    busy = true;
    freeAt = Math.max(freeAt, job.arrivedAt) + (job.lines.length / o.recordsPerSec) * 1000;
    timer = setTimeout(
      () => {
        busy = false;
        served += job.lines.length;
        o.onRecords(job.lines, Date.now());
        job.res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        next();
      },
      Math.max(0, freeAt - Date.now()),
    );
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let lines: Buffer[];
      try {
        lines = linesOf(Buffer.concat(chunks));
      } catch (err) {
        res.writeHead(400, { 'content-type': 'text/plain' }).end(`capacity receiver: ${(err as Error).message}`);
        return;
      }
      waiting.push({ lines, res, arrivedAt: Date.now() });
      next();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    get served() {
      return served;
    },
    get queued() {
      return waiting.length + (busy ? 1 : 0);
    },
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const w of waiting.splice(0)) w.res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
