import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import spillwayTransport, { LevelBuffer, levelOfLine, withLogId } from '../../../../agent/pino/transport.ts';

describe('spillway/pino helpers', () => {
  it.each([
    ['{"level":30,"time":1,"msg":"x"}', 30],
    ['{"time":1,"level":50,"msg":"x"}', 50],
    ['{"msg":"no level"}', 30],
  ])('levelOfLine(%s) = %d', (line, level) => {
    expect(levelOfLine(line)).toBe(level);
  });

  it('splices a logId only into lines without one', () => {
    expect(withLogId('{"level":30}', 'svc')).toBe('{"logId":"svc","level":30}');
    expect(withLogId('{"logId":"own","level":30}', 'svc')).toBe('{"logId":"own","level":30}');
    expect(withLogId('{"level":30}', undefined)).toBe('{"level":30}');
  });
});

describe('LevelBuffer', () => {
  it('sheds the oldest line of the lowest level first, and refuses a line lower than all it holds', () => {
    const b = new LevelBuffer(3);
    b.push('i1', 30);
    b.push('e1', 50);
    b.push('i2', 30);
    b.push('e2', 50); // full: i1 goes
    b.push('d1', 20); // lower than everything held: refused
    expect(b.size).toBe(3);
    expect([...b.shed]).toEqual([
      [30, 1],
      [20, 1],
    ]);
    expect(b.take(10)).toEqual(['e1', 'e2', 'i2']);
  });

  it('puts back lines a send failed, highest levels first out again', () => {
    const b = new LevelBuffer(10);
    b.push('{"level":30,"a":1}', 30);
    b.push('{"level":50,"a":2}', 50);
    const out = b.take(2);
    b.unshift(out);
    expect(b.size).toBe(2);
    expect(b.take(1)).toEqual(['{"level":50,"a":2}']);
  });
});

describe('LevelBuffer.take(n, minLevel)', () => {
  it('takes only lines at minLevel or above, highest first, and leaves the rest', () => {
    const b = new LevelBuffer(10);
    b.push('i1', 30);
    b.push('e1', 50);
    b.push('w1', 40);
    b.push('f1', 60);
    expect(b.take(10, 50)).toEqual(['f1', 'e1']);
    expect(b.take(10, 50)).toEqual([]);
    expect(b.take(10)).toEqual(['w1', 'i1']);
  });
});

describe('spillway/pino urgent slot', () => {
  it('sends an error line at once while an INFO request is still unanswered', async () => {
    const requests: string[][] = [];
    const held: http.ServerResponse[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const lines = Buffer.concat(chunks).toString().split('\n').filter(Boolean);
        requests.push(lines);
        // The agent holds INFO (as under a flood, until stored); answers the rest at once.
        if (lines.every((l) => levelOfLine(l) < 50)) held.push(res);
        else res.writeHead(200).end('{"accepted":1}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const stream = await spillwayTransport({ url, logId: 'svc', flushMs: 10, batchLines: 500 });
    try {
      for (let i = 0; i < 5; i++) stream.write(`{"level":30,"msg":"info ${i}"}\n`);
      await expect.poll(() => held.length, { timeout: 3_000 }).toBe(1);
      stream.write('{"level":30,"msg":"info 5"}\n');
      stream.write('{"level":50,"msg":"boom"}\n');
      await expect.poll(() => requests.length, { timeout: 3_000 }).toBe(2);
      expect(requests[1]).toEqual(['{"logId":"svc","level":50,"msg":"boom"}']);
      // The INFO line written meanwhile waits for the INFO request in flight.
      expect(requests.flat().some((l) => l.includes('info 5'))).toBe(false);
      for (const r of held.splice(0)) r.writeHead(200).end('{"accepted":5}');
      await expect.poll(() => requests.flat().some((l) => l.includes('info 5')), { timeout: 3_000 }).toBe(true);
      for (const r of held.splice(0)) r.writeHead(200).end('{"accepted":1}');
    } finally {
      for (const r of held.splice(0)) r.writeHead(200).end('{}');
      stream.end();
      await new Promise((r) => stream.once('close', r));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
