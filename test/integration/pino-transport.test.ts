/**
 * `spillway/pino` in a real pino app (a child process), shipping to an HTTP server that
 * stands in for the agent's input: everything arrives when the agent is up; when it is down
 * the service keeps running, the buffer stays bounded and sheds INFO before ERROR.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from './helpers/kafka.ts';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

function agentInput(port = 0): Promise<{ port: number; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      expect(req.url).toBe('/v1/lines');
      for (const l of body.split('\n')) if (l) lines.push(JSON.parse(l));
      res.writeHead(200).end();
    });
  });
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, lines })),
  );
}

function runApp(url: string, info: number, error: number, waitMs: number, maxBuffered: number) {
  const child = spawn(
    process.execPath,
    ['test/fixtures/pino-app.ts', url, String(info), String(error), String(waitMs), String(maxBuffered)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { exited, out: () => out, err: () => err };
}

describe('spillway/pino', () => {
  it('ships every line, with the logId spliced in, while the agent is up', async () => {
    const agent = await agentInput();
    const app = runApp(`http://127.0.0.1:${agent.port}`, 300, 5, 500, 10_000);
    expect(await app.exited).toBe(0);
    await waitFor('305 lines', () => agent.lines.length >= 305, 10_000);
    expect(agent.lines).toHaveLength(305);
    expect(new Set(agent.lines.map((l) => l.seq)).size).toBe(305);
    expect(agent.lines.every((l) => l.logId === 'pino-app')).toBe(true);
    expect(agent.lines.filter((l) => l.level === 50)).toHaveLength(5);
  });

  it('keeps the service running while the agent is down, bounded, shedding INFO before ERROR', async () => {
    // Reserve a port, close it: the agent is down while the app logs.
    const probe = await agentInput();
    const port = probe.port;
    servers.pop()!.close();
    const app = runApp(`http://127.0.0.1:${port}`, 2_000, 20, 1_500, 100);
    // The agent comes back once the transport found it down (its first flush failed and it
    // said so), not after a fixed time: a slow start of the app under load used to let the
    // agent return before the first flush.
    await waitFor('the transport to report the agent unreachable', () => app.err().includes('unreachable'), 10_000);
    const agent = await agentInput(port);
    expect(await app.exited).toBe(0);
    expect(app.out()).toContain('done');
    await waitFor('the buffered lines', () => agent.lines.length >= 100, 10_000);
    const errors = agent.lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(20);
    expect(agent.lines.length).toBe(100);
    expect(app.err()).toMatch(
      /spillway\/pino: agent at http:\/\/127\.0\.0\.1:\d+\/v1\/lines unreachable; shed 1920 lines so far \(level 30: 1920\)/,
    );
  });
});
