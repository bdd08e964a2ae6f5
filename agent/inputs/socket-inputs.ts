/**
 * The agent's socket inputs: NDJSON over TCP, and syslog over TCP (octet-counting or
 * newline framing, detected per connection) and UDP (one message per datagram).
 *
 * Each connection gets its own parser, so a bad stream never disturbs another. Guards:
 * a bounded number of connections (a flood is refused at accept, counted), an idle timeout
 * (a slowloris client is cut), a per-line / per-message size limit (in the parsers), and
 * backpressure: a connection whose lines are not yet settled beyond a bound is paused, so
 * a slow router backs up into TCP, not into the agent's memory.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Logger } from '../../core/logger.ts';
import { JsonLinesParser } from '../parse/json-lines.ts';
import type { AgentLine, ParseOutput, Rejection } from '../parse/output.ts';
import type { Stamp } from '../parse/record.ts';
import { SyslogTcpParser, SyslogUdpParser } from '../parse/syslog-framing.ts';

/** Connections held at once per input: far above what one host's services open, low enough that a flood cannot exhaust file descriptors. */
export const MAX_CONNECTIONS = 1_024;
/** A connection silent this long is closed: a slowloris client cannot hold a slot. */
export const IDLE_TIMEOUT_MS = 60_000;
/**
 * Lines a connection may have waiting to settle before it is paused (backpressure): about
 * 1.3 MiB of 256-byte lines, a few uplink batches. Measured with the router down
 * (bench/agent.ts): 10,000 gave no more throughput and about 20 MiB more RSS; 2,000
 * starved the spool writes (a tenth of the throughput).
 */
export const MAX_UNSETTLED_LINES = 5_000;

export interface SocketInputStats {
  connections: number;
  refusedConnections: number;
  idleClosed: number;
  records: number;
  rejected: number;
  /** Lines neither the router nor the spool took (also counted by the shipper as refused). */
  dropped: number;
  /** UDP datagrams dropped because the agent's queue was over budget: only this input knows of them. */
  shed: number;
}

export interface SocketInputOptions {
  kind: 'tcp' | 'syslog-tcp' | 'syslog-udp';
  host: string;
  port: number;
  stamp: Stamp;
  defaultLogId: string | undefined;
  /** Ships lines; resolves when they are with the router or in the spool. */
  onLines: (lines: AgentLine[]) => Promise<void>;
  onReject: (r: Rejection) => void;
  log: Logger;
  /** True while the agent's send queue is over budget (UDP drops then instead of queueing). */
  overBudget?: () => boolean;
  /** @default MAX_CONNECTIONS */
  maxConnections?: number;
  /** @default IDLE_TIMEOUT_MS */
  idleTimeoutMs?: number;
  /** tcp: the parser of one connection (format, multiline). @default NDJSON with defaultLogId */
  parser?: ((out: ParseOutput) => Parser) | undefined;
}

export interface SocketInput {
  port: number;
  stats: SocketInputStats;
  close(): Promise<void>;
}

interface Parser {
  push(chunk: Buffer): void;
  end(): void;
  /** Sends a multiline message that waited past its timeout. */
  tick?(nowMs?: number): void;
}

/** How often each stream's open multiline message is checked against its timeout. */
export const STREAM_TICK_MS = 250;

export async function startSocketInput(o: SocketInputOptions): Promise<SocketInput> {
  const stats: SocketInputStats = {
    connections: 0,
    refusedConnections: 0,
    idleClosed: 0,
    records: 0,
    rejected: 0,
    dropped: 0,
    shed: 0,
  };
  const parserOptions = { stamp: o.stamp, defaultLogId: o.defaultLogId };

  if (o.kind === 'syslog-udp') {
    const socket = dgram.createSocket(o.host.includes(':') ? 'udp6' : 'udp4');
    const out: ParseOutput = {
      accept: (l) => {
        stats.records++;
        // UDP has no backpressure: past the agent's queue budget a datagram is dropped, counted.
        if (o.overBudget?.()) {
          stats.shed++;
          return;
        }
        o.onLines([l]).catch(() => {
          stats.dropped++;
        });
      },
      reject: (r) => {
        stats.rejected++;
        o.onReject(r);
      },
    };
    const parser = new SyslogUdpParser(parserOptions, out);
    socket.on('message', (msg) => parser.push(msg));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(o.port, o.host, () => resolve());
    });
    return {
      port: socket.address().port,
      stats,
      close: () => new Promise<void>((r) => socket.close(() => r())),
    };
  }

  const sockets = new Set<net.Socket>();
  /** Each live connection's tick: its parser's multiline timeout, then a flush. */
  const ticks = new Set<() => void>();
  const finishers = new Set<() => void>();
  const ticker = setInterval(() => {
    for (const t of ticks) t();
  }, STREAM_TICK_MS);
  ticker.unref();
  const server = net.createServer((socket) => {
    if (sockets.size >= (o.maxConnections ?? MAX_CONNECTIONS)) {
      stats.refusedConnections++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    stats.connections++;
    let unsettled = 0;
    let batch: AgentLine[] = [];
    const flush = () => {
      if (batch.length === 0) return;
      const lines = batch;
      batch = [];
      unsettled += lines.length;
      if (unsettled > MAX_UNSETTLED_LINES) socket.pause();
      o.onLines(lines)
        .catch(() => {
          // Not stored: TCP has no per-line acknowledgement, so it is counted and logged upstream.
          stats.dropped += lines.length;
        })
        .finally(() => {
          unsettled -= lines.length;
          if (unsettled <= MAX_UNSETTLED_LINES / 2 && socket.isPaused()) socket.resume();
        });
    };
    const out: ParseOutput = {
      accept: (l) => {
        stats.records++;
        batch.push(l);
      },
      reject: (r) => {
        stats.rejected++;
        o.onReject(r);
      },
    };
    const parser: Parser =
      o.kind === 'tcp'
        ? (o.parser?.(out) ?? new JsonLinesParser(parserOptions, out))
        : new SyslogTcpParser(parserOptions, out);
    const tick = () => {
      parser.tick?.();
      flush();
    };
    if (parser.tick !== undefined) ticks.add(tick);
    // On close: the partial last line and an open multiline message are judged and shipped.
    const finish = () => {
      parser.end();
      flush();
    };
    finishers.add(finish);
    socket.setTimeout(o.idleTimeoutMs ?? IDLE_TIMEOUT_MS, () => {
      stats.idleClosed++;
      socket.destroy();
    });
    socket.on('data', (chunk: Buffer) => {
      parser.push(chunk);
      flush();
      // A syslog stream whose framing broke cannot resync: close it (its bytes were counted as rejected).
      if (parser instanceof SyslogTcpParser && parser.failed) socket.destroy();
    });
    socket.on('end', () => {
      finishers.delete(finish);
      finish();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      ticks.delete(tick);
      // Closed without an end (reset, idle timeout): what it sent is still judged and shipped.
      if (finishers.delete(finish)) finish();
    });
  });
  // The handler refuses past the limit itself, counting it.
  server.maxConnections = (o.maxConnections ?? MAX_CONNECTIONS) + 1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  o.log.info({ kind: o.kind, port: (server.address() as net.AddressInfo).port }, 'socket input listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    stats,
    close: async () => {
      clearInterval(ticker);
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const f of finishers) f();
      finishers.clear();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
