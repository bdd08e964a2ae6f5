/**
 * Fuzz-style tests, seeded and bounded (2 shared cores): random bytes and mutations of
 * valid input, fed in random chunks. Whatever arrives, the parsers never throw, every
 * accepted line passes the router's judge, and every input byte is accounted for in
 * exactly one record or rejection (or a whitespace-only line, counted as skipped).
 */
import { describe, expect, it } from 'vitest';
import { JsonLineJudge, JsonLinesParser } from '../../../../agent/parse/json-lines.ts';
import { SyslogJudge } from '../../../../agent/parse/syslog.ts';
import { SyslogTcpParser, SyslogUdpParser } from '../../../../agent/parse/syslog-framing.ts';
import { parseLine } from '../../../../router/gateway/lines.ts';
import { accountingProblem, chunks, collect, now, prng, stamp } from './collect.ts';

const ITERATIONS = 2_000;

const JSON_SEEDS = [
  '{"level":30,"time":1795000000000,"pid":1,"hostname":"w","logId":"checkout","msg":"hi","n":[1,2,{"a":"é"}]}\n',
  '{"level":"warning","msg":"x"}\r\n{"logId":"a.b","level":"CRIT"}\n',
  '{}\n\n  \n{"service":"billing"}\n',
];
const SYSLOG_SEEDS = [
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][x@1 a="\\]"] \uFEFFAn entry',
  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
  "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
  '<13>2026-01-05T11:00:00.1+02:00 h app[1]: x',
];
/** Bytes that matter to the grammars, so mutations hit interesting paths more often than random bytes. */
const SPECIAL = [
  0x0a, 0x0d, 0x20, 0x22, 0x5b, 0x5d, 0x3c, 0x3e, 0x7b, 0x7d, 0x3a, 0x2d, 0x5c, 0x3d, 0x30, 0x31, 0x39, 0xc3, 0xff,
  0x00,
];

function mutate(seed: Buffer, rand: () => number): Buffer {
  const out = [...seed];
  const n = 1 + Math.floor(rand() * 6);
  for (let k = 0; k < n; k++) {
    const i = Math.floor(rand() * (out.length + 1));
    const byte = rand() < 0.6 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : Math.floor(rand() * 256);
    const op = rand();
    if (op < 0.4) out[i] = byte;
    else if (op < 0.7) out.splice(i, 0, byte);
    else if (op < 0.9) out.splice(i, 1 + Math.floor(rand() * 8));
    else out.splice(i, 0, ...out.slice(0, Math.floor(rand() * out.length)));
  }
  return Buffer.from(out);
}

function input(seeds: string[], rand: () => number): Buffer {
  const r = rand();
  if (r < 0.2) return Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
  const parts = Array.from({ length: 1 + Math.floor(rand() * 4) }, () =>
    Buffer.from(seeds[Math.floor(rand() * seeds.length)]!),
  );
  return mutate(Buffer.concat(parts), rand);
}

function octetFramed(seeds: string[], rand: () => number): Buffer {
  const frames = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => {
    const m = Buffer.from(seeds[Math.floor(rand() * seeds.length)]!);
    return Buffer.concat([Buffer.from(`${m.length} `), m]);
  });
  return rand() < 0.5 ? Buffer.concat(frames) : mutate(Buffer.concat(frames), rand);
}

function routerAccepts(lines: { bytes: Buffer; logId: string; level: string }[]): string | undefined {
  for (const l of lines) {
    const r = parseLine(l.bytes, 1);
    if ('reason' in r) return `router rejects ${l.bytes.toString()}: ${r.reason}`;
    if (r.logId !== l.logId || r.level !== l.level)
      return `router reads ${r.logId}/${r.level}, agent ${l.logId}/${l.level}`;
  }
  return undefined;
}

describe('fuzz', () => {
  it('JSON lines: never throws; every byte accounted for; every accepted line passes the router', () => {
    const rand = prng(0x5eed_0001);
    const judge = new JsonLineJudge({ stamp, now, defaultLogId: 'fuzz' });
    let records = 0;
    let rejected = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const buf = input(JSON_SEEDS, rand);
      const c = collect();
      const p = new JsonLinesParser({ stamp, maxLineBytes: 1 + Math.floor(rand() * 200) }, c, judge);
      for (const part of chunks(buf, rand, Math.floor(rand() * 5))) p.push(part);
      p.end();
      const problem = accountingProblem(buf, c, p.stats.skippedBytes) ?? routerAccepts(c.lines);
      if (problem !== undefined)
        expect.fail(`iteration ${it}, input ${JSON.stringify(buf.toString('latin1'))}: ${problem}`);
      records += c.lines.length;
      rejected += c.rejections.length;
    }
    // Both paths exercised, not just one.
    expect(records).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(500);
  });

  it('syslog over TCP, both framings: never throws; every byte accounted for', () => {
    const rand = prng(0x5eed_0002);
    const judge = new SyslogJudge({ stamp, now, defaultLogId: 'fuzz', maxMessageBytes: 1 + Math.floor(rand() * 300) });
    let records = 0;
    let rejected = 0;
    for (let it = 0; it < ITERATIONS; it++) {
      const buf =
        rand() < 0.5
          ? octetFramed(SYSLOG_SEEDS, rand)
          : input(
              SYSLOG_SEEDS.map((s) => `${s}\n`),
              rand,
            );
      const c = collect();
      const p = new SyslogTcpParser({ stamp }, c, judge);
      for (const part of chunks(buf, rand, Math.floor(rand() * 5))) p.push(part);
      p.end();
      const problem = accountingProblem(buf, c, p.stats.skippedBytes) ?? routerAccepts(c.lines);
      if (problem !== undefined)
        expect.fail(`iteration ${it}, input ${JSON.stringify(buf.toString('latin1'))}: ${problem}`);
      records += c.lines.length;
      rejected += c.rejections.length;
    }
    expect(records).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(500);
  });

  it('syslog over UDP: exactly one verdict per datagram', () => {
    const rand = prng(0x5eed_0003);
    const c = collect();
    const p = new SyslogUdpParser({ stamp, now, defaultLogId: 'fuzz' }, c);
    for (let it = 0; it < ITERATIONS; it++) p.push(input(SYSLOG_SEEDS, rand));
    expect(c.lines.length + c.rejections.length).toBe(ITERATIONS);
    expect(routerAccepts(c.lines)).toBeUndefined();
  });
});
