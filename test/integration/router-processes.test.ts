/**
 * Two real router processes (`spillway router`) sharing one global quota through the real
 * Redis: driven together above capacity, they admit the global rate within 10%.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const CAPACITY = 1_000;
const TOKEN = 'it-processes-token-0123456789';
const run = randomUUID().slice(0, 8);
const prefix = `spw:it:${run}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-it-routers-'));
const children: ChildProcess[] = [];

function configYaml(): string {
  const stack = inject('stack');
  return `
clusters:
  - { name: main, brokers: ["${stack.kafkaMain}"] }
pools: { S: [main], A: [main], B: [main], C: [main] }
logIds:
  - { id: busy-${run}, name: busy, owner: it, importance: A, sinks: [drop] }
  - { id: unknown, name: unknown, owner: it, importance: C, sinks: [drop] }
sinks:
  - { type: blackhole, name: drop }
router:
  listen: { host: 127.0.0.1, port: 0 }
  tokens: [{ agent: it, token: "${TOKEN}" }]
  quota:
    redisUrl: redis://127.0.0.1:6379
    keyPrefix: "${prefix}"
    leaseMs: 200
    demandWindowMs: 1000
    burstMs: 200
    globalRecordsPerSec: ${CAPACITY}
`;
}

async function startRouterProcess(port: number): Promise<string> {
  const child = spawn(
    process.execPath,
    ['bin/spillway.js', 'router', '--config', path.join(dir, 'routers.yaml'), '--port', String(port)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SPW_LOG_LEVEL: 'warn' },
    },
  );
  children.push(child);
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`router exited ${child.exitCode}: ${err}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) return url;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`router on ${port} not ready: ${err}`);
}

/** Sends `perSecond` records/s of the busy logId for `ms`, in 50 ms batches; returns records accepted. */
async function drive(url: string, perSecond: number, ms: number): Promise<number> {
  const batch = Math.round(perSecond / 20);
  const body = Array.from({ length: batch }, (_, i) =>
    JSON.stringify({ logId: `busy-${run}`, level: 'info', seq: i }),
  ).join('\n');
  let accepted = 0;
  const end = Date.now() + ms;
  let next = Date.now();
  while (Date.now() < end) {
    const res = await fetch(`${url}/v1/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
    accepted += ((await res.json()) as { accepted: number }).accepted;
    next += 50;
    await sleep(Math.max(0, next - Date.now()));
  }
  return accepted;
}

describe('two router processes, one global quota', () => {
  let urls: string[] = [];
  beforeAll(async () => {
    fs.writeFileSync(path.join(dir, 'routers.yaml'), configYaml());
    const base = 21_000 + Math.floor(Math.random() * 5_000);
    urls = await Promise.all([startRouterProcess(base), startRouterProcess(base + 1)]);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`admit ${CAPACITY} records/s together within 10% when asked for 1,600/s`, async () => {
    // Let both report demand and take leases (several 200 ms lease periods).
    await Promise.all(urls.map((u) => drive(u, 800, 1_500)));
    const seconds = 3;
    const accepted = await Promise.all(urls.map((u) => drive(u, 800, seconds * 1_000)));
    const rate = (accepted[0]! + accepted[1]!) / seconds;
    console.log(
      `two routers admitted ${accepted.join(' + ')} records in ${seconds} s = ${rate.toFixed(0)}/s against ${CAPACITY}/s`,
    );
    expect(rate).toBeGreaterThan(CAPACITY * 0.9);
    expect(rate).toBeLessThan(CAPACITY * 1.1);
    // Both got a real share, neither starved.
    for (const a of accepted) expect(a / seconds).toBeGreaterThan(CAPACITY * 0.3);
  });
});
