import { describe, expect, it } from 'vitest';
import { SyslogTcpParser, SyslogUdpParser } from '../../../../agent/parse/syslog-framing.ts';
import { accountingProblem, collect, now, stamp } from './collect.ts';

const opts = { stamp, now, defaultLogId: 'syslog', maxMessageBytes: 64 };
const M1 = '<13>1 - h app1 - - - first';
const M2 = '<11>Oct 11 22:14:15 h app2[7]: second\nstill second';
const octets = (...msgs: string[]) => Buffer.from(msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join(''));
const msgsOf = (c: ReturnType<typeof collect>) => c.texts().map((t) => JSON.parse(t).msg);

function run(input: Buffer, parts: Buffer[] = [input]) {
  const c = collect();
  const p = new SyslogTcpParser(opts, c);
  for (const part of parts) p.push(part);
  p.end();
  return { c, p, problem: accountingProblem(input, c, p.stats.skippedBytes) };
}

describe('TCP octet counting (RFC 6587 3.4.1)', () => {
  it('decodes frames split at every possible point, LF in a message included', () => {
    const input = octets(M1, M2);
    for (let cut = 0; cut <= input.length; cut++) {
      const { c, p, problem } = run(input, [input.subarray(0, cut), input.subarray(cut)]);
      expect(p.framing).toBe('octet-counting');
      expect(msgsOf(c)).toEqual(['first', 'second\nstill second']);
      expect(c.lines.map((l) => [l.logId, l.offset, l.span])).toEqual([
        ['app1', 0, 29],
        ['app2', 29, 53],
      ]);
      expect(problem).toBeUndefined();
    }
  });

  it('decodes a stream fed one byte at a time, tolerating newlines between frames', () => {
    const input = Buffer.concat([octets(M1), Buffer.from('\r\n'), octets(M2), Buffer.from('\n')]);
    const bytes = [...input].map((x) => Buffer.from([x]));
    const { c, p, problem } = run(input, bytes);
    expect(msgsOf(c)).toEqual(['first', 'second\nstill second']);
    expect(p.stats).toEqual({ bytes: input.length, records: 2, rejected: 0, skippedBytes: 3 });
    expect(problem).toBeUndefined();
  });

  it('skips an over-long frame by its length, without buffering it, and goes on', () => {
    const long = `<13>1 - h a - - - ${'x'.repeat(100)}`;
    const input = octets(M1, long, M1);
    const { c, p, problem } = run(input);
    expect(msgsOf(c)).toEqual(['first', 'first']);
    expect(c.rejections).toEqual([
      { kind: 'too-long', reason: 'message too long (118 bytes > 64)', offset: 29, span: 122 },
    ]);
    expect(p.failed).toBeUndefined();
    expect(problem).toBeUndefined();
  });

  it('fails the connection on a bad length: that frame and all later bytes are rejected, counted', () => {
    const input = Buffer.from(`${octets(M1).toString()}12x<13>1 - h a - - - m`);
    const c = collect();
    const p = new SyslogTcpParser(opts, c);
    p.push(input);
    p.push(Buffer.from('more bytes'));
    p.end();
    expect(msgsOf(c)).toEqual(['first']);
    expect(p.failed).toBe(
      'octet-counting: expected a message length (1-10 digits, no leading zero) and a space, found "x"',
    );
    expect(c.rejections).toEqual([
      { kind: 'framing', reason: p.failed, offset: 29, span: input.length - 29 },
      {
        kind: 'framing',
        reason: 'discarded after an octet-counting framing error on this connection',
        offset: input.length,
        span: 10,
      },
    ]);
    expect(p.stats).toEqual({ bytes: input.length + 10, records: 1, rejected: 2, skippedBytes: 0 });
  });

  it.each([
    ['0 ', 'octet-counting: expected a message length (1-10 digits, no leading zero) and a space, found "0"'],
    [
      '12345678901 x',
      'octet-counting: expected a message length (1-10 digits, no leading zero) and a space, found "1"',
    ],
  ])('rejects the length %j', (frame, reason) => {
    const { c, problem } = run(Buffer.from(`5 <13>x${frame}`));
    expect(c.reasons()).toEqual([reason]);
    expect(problem).toBeUndefined();
  });

  it.each([
    ['30 <13>1 - h a', 'octet-counting: the connection closed after 11 of 30 message bytes', 14],
    ['30', 'octet-counting: the connection closed inside a frame length', 2],
  ])('rejects a frame cut short by the close: %j', (input, reason, span) => {
    const { c, problem } = run(Buffer.from(input));
    expect(c.rejections).toEqual([{ kind: 'framing', reason, offset: 0, span }]);
    expect(problem).toBeUndefined();
  });
});

describe('TCP non-transparent framing (RFC 6587 3.4.2)', () => {
  it('is chosen when the first byte is not a digit; one message per line, CRLF and blank lines tolerated', () => {
    const input = Buffer.from(`${M1}\r\n\n<14>Oct 11 22:14:15 h app3: third\n${'<13>'.padEnd(70, 'y')}\n<13>tail`);
    for (let cut = 0; cut <= input.length; cut += 7) {
      const { c, p, problem } = run(input, [input.subarray(0, cut), input.subarray(cut)]);
      expect(p.framing).toBe('non-transparent');
      expect(msgsOf(c)).toEqual(['first', 'third', 'tail']);
      expect(c.reasons()).toEqual(['line too long (70 bytes > 64)']);
      expect(problem).toBeUndefined();
    }
  });
});

describe('UDP', () => {
  it('takes one message per datagram, a trailing newline dropped', () => {
    const c = collect();
    const p = new SyslogUdpParser(opts, c);
    p.push(Buffer.from(`${M1}\n`));
    p.push(Buffer.from('garbage'));
    p.push(Buffer.alloc(0));
    expect(msgsOf(c)).toEqual(['first']);
    expect(c.rejections).toEqual([
      {
        kind: 'bad-syslog',
        reason: 'PRI: expected "<" at the start of the message, found "garbage"',
        offset: 27,
        span: 7,
      },
      { kind: 'empty', reason: 'empty message', offset: 34, span: 0 },
    ]);
    expect(p.stats).toEqual({ bytes: 34, records: 1, rejected: 2, skippedBytes: 0 });
  });
});
