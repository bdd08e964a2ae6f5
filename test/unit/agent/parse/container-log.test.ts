import { describe, expect, it } from 'vitest';
import {
  type ContainerFile,
  ContainerLogDecoder,
  checkLogIdTemplate,
  parseContainerFileName,
  renderLogIdTemplate,
} from '../../../../agent/parse/container-log.ts';
import { LineFramer } from '../../../../agent/parse/line-framer.ts';
import type { Message } from '../../../../agent/parse/message.ts';
import type { Rejection } from '../../../../agent/parse/output.ts';
import { chunks, prng } from './collect.ts';

/** 30 characters. */
const T = '2026-11-30T13:28:53.696123456Z';
const T_MS = Date.UTC(2026, 10, 30, 13, 28, 53, 696);
const T2 = '2026-11-30T13:28:54.5Z';
const T2_MS = Date.UTC(2026, 10, 30, 13, 28, 54, 500);
const TIME_EXPECTED = 'an RFC 3339 date-time like 2026-11-30T13:28:53.696123456Z';
const docker = (log: string, stream = 'stdout', time = T) => JSON.stringify({ log, stream, time });

function decoder(maxMessageBytes = 1024) {
  const messages: Message[] = [];
  const rejections: Rejection[] = [];
  const dec = new ContainerLogDecoder(
    { maxMessageBytes },
    { message: (m) => messages.push(m), reject: (r) => rejections.push(r) },
  );
  let pos = 0;
  /** Feeds lines as the framer would: each one LF-terminated, offsets running on. */
  const feed = (...lines: (string | Buffer)[]) => {
    for (const l of lines) {
      const b = typeof l === 'string' ? Buffer.from(l) : l;
      dec.line(b, pos, b.length + 1);
      pos += b.length + 1;
    }
  };
  /** [text, offset, span, timeMs, stream] of each message. */
  const seen = () => messages.map((m) => [m.bytes.toString(), m.offset, m.span, m.timeMs, m.stream]);
  const covered = () => [...messages, ...rejections].reduce((n, r) => n + r.span, 0);
  return { dec, messages, rejections, feed, seen, covered, total: () => pos };
}

describe('CRI format', () => {
  it('decodes full lines: content after the tag and one space, time, stream, offsets', () => {
    const { feed, messages, seen, rejections } = decoder();
    feed(`${T} stdout F hello world`, `${T2} stderr F  two  spaces `);
    expect(seen()).toEqual([
      ['hello world', 0, 52, T_MS, 'stdout'],
      [' two  spaces ', 52, 46, T2_MS, 'stderr'],
    ]);
    expect(messages.every((m) => m.lines === 1)).toBe(true);
    expect(rejections).toEqual([]);
  });

  it('reads times with nanoseconds, no fraction, offsets and lowercase t/z', () => {
    const { feed, messages } = decoder();
    feed(
      '2026-11-30T14:28:53.1+01:00 stdout F a',
      '2026-11-30T08:58:53.999999999-04:30 stdout F b',
      '2026-11-30T13:28:53Z stdout F c',
      '2026-11-30t13:28:53.0123z stdout F d',
      '2028-02-29T00:00:00Z stdout F e',
      '0099-12-31T23:59:59.5Z stdout F f',
    );
    expect(messages.map((m) => m.timeMs)).toEqual([
      Date.UTC(2026, 10, 30, 13, 28, 53, 100),
      Date.UTC(2026, 10, 30, 13, 28, 53, 999),
      Date.UTC(2026, 10, 30, 13, 28, 53, 0),
      Date.UTC(2026, 10, 30, 13, 28, 53, 12),
      Date.UTC(2028, 1, 29),
      new Date('0099-12-31T23:59:59.500Z').getTime(),
    ]);
  });

  it('joins P + P + F: first part offset and time, span to the end of the last part', () => {
    const { dec, feed, seen } = decoder();
    feed(`${T} stdout P abc`, `${T2} stdout P:x def`);
    expect(seen()).toEqual([]);
    expect([dec.heldFrom, dec.pendingBytes]).toEqual([0, 6]);
    feed(`${T2} stdout F:x:y ghi`);
    // 44 + 38 + 40 bytes, newlines included.
    expect(seen()).toEqual([['abcdefghi', 0, 122, T_MS, 'stdout']]);
    expect([dec.heldFrom, dec.pendingBytes]).toEqual([undefined, 0]);
  });

  it('joins per stream: stdout P / stderr F / stdout F come out in completion order', () => {
    const { dec, feed, seen } = decoder();
    feed(`${T} stdout P out-1 `, `${T2} stderr F err`, `${T2} stdout F out-2`);
    expect(seen()).toEqual([
      ['err', 47, 36, T2_MS, 'stderr'],
      // Covers the stderr line in between: accepted.
      ['out-1 out-2', 0, 121, T_MS, 'stdout'],
    ]);
    expect(dec.heldFrom).toBeUndefined();
  });

  it('reads empty content, with or without the space after the tag', () => {
    const { feed, seen } = decoder();
    feed(`${T} stdout F `, `${T} stdout F`, `${T} stdout P`, `${T} stdout F x`);
    expect(seen()).toEqual([
      ['', 0, 41, T_MS, 'stdout'],
      ['', 41, 40, T_MS, 'stdout'],
      ['x', 81, 82, T_MS, 'stdout'],
    ]);
  });

  it('passes invalid UTF-8 through and shares memory for a full line, copies a held part', () => {
    const { feed, messages } = decoder();
    const full = Buffer.concat([Buffer.from(`${T} stdout F `), Buffer.from([0xff, 0xfe, 0x41])]);
    const part = Buffer.from(`${T} stdout P abc`);
    feed(full, part);
    part.fill(0x7a);
    feed(`${T} stdout F def`);
    expect([...messages[0]!.bytes]).toEqual([0xff, 0xfe, 0x41]);
    expect(messages[0]!.bytes.buffer).toBe(full.buffer);
    expect(messages[1]!.bytes.toString()).toBe('abcdef');
  });
});

describe('Docker json-file format', () => {
  it('unescapes the log, strips its newline, reads stream and time', () => {
    const { feed, seen, rejections } = decoder();
    const line = String.raw`{"log":"say \"hi\" \\ caf\u00e9\ttab\n","stream":"stdout","time":"2026-11-30T13:28:53.696123456Z"}`;
    feed(line, docker('windows\r\n', 'stderr', T2), docker('\n'), docker('mid\rdle\n'));
    expect(seen()).toEqual([
      ['say "hi" \\ café\ttab', 0, 99, T_MS, 'stdout'],
      ['windows', 99, 72, T2_MS, 'stderr'],
      ['', 171, 71, T_MS, 'stdout'],
      ['mid\rdle', 242, 79, T_MS, 'stdout'],
    ]);
    expect(rejections).toEqual([]);
  });

  it('joins partial lines (no trailing \\n) per stream, a CR split from its LF included', () => {
    const { dec, feed, seen } = decoder();
    feed(docker('café "one" ', 'stdout'), docker('err\n', 'stderr', T2));
    expect([dec.heldFrom, dec.pendingBytes]).toEqual([0, 12]);
    feed(docker('part two\r', 'stdout', T2), docker('\n', 'stdout', T2));
    expect(seen()).toEqual([
      ['err', 83, 66, T2_MS, 'stderr'],
      ['café "one" part two', 0, 283, T_MS, 'stdout'],
    ]);
    expect([dec.heldFrom, dec.pendingBytes]).toEqual([undefined, 0]);
  });

  it('mixes with CRI lines in one file, even within one message', () => {
    const { feed, seen } = decoder();
    feed(docker('a'), `${T2} stdout P b`, docker('c\n', 'stdout', T2));
    expect(seen()).toEqual([['abc', 0, 168, T_MS, 'stdout']]);
  });
});

describe('bad lines', () => {
  it.each([
    ['hello world', `CRI time: expected ${TIME_EXPECTED}, found "hello"`],
    ['stdout F no time', `CRI time: expected ${TIME_EXPECTED}, found "stdout"`],
    ['', `CRI time: expected ${TIME_EXPECTED}, found the end of the line`],
    ['2026-11-31T13:28:53Z stdout F x', `CRI time: expected ${TIME_EXPECTED}, found "2026-11-31T13:28:53Z"`],
    ['2026-11-30T13:28:53 stdout F x', `CRI time: expected ${TIME_EXPECTED}, found "2026-11-30T13:28:53"`],
    ['2026-11-30T13:28:53.Z stdout F x', `CRI time: expected ${TIME_EXPECTED}, found "2026-11-30T13:28:53.Z"`],
    ['2026-11-30T24:00:00Z stdout F x', `CRI time: expected ${TIME_EXPECTED}, found "2026-11-30T24:00:00Z"`],
    ['2026-11-30T13:28:53+24:00 stdout F x', `CRI time: expected ${TIME_EXPECTED}, found "2026-11-30T13:28:53+24:00"`],
    [
      `${'x'.repeat(100)} stdout F x`,
      `CRI time: expected ${TIME_EXPECTED}, found "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…`,
    ],
    [`${T} stdin F x`, 'CRI stream: expected "stdout" or "stderr", found "stdin"'],
    [`${T} stdoutx F x`, 'CRI stream: expected "stdout" or "stderr", found "stdoutx"'],
    [T, 'CRI stream: expected "stdout" or "stderr", found the end of the line'],
    [`${T} stdout`, 'CRI tag: expected "F" or "P", found the end of the line'],
    [`${T} stdout X x`, 'CRI tag: expected "F" or "P", found "X"'],
    [`${T} stdout FP x`, 'CRI tag: expected "F" or "P", found "FP"'],
    [`${T} stdout :F x`, 'CRI tag: expected "F" or "P", found ":F"'],
    [`${T} stdout  x`, 'CRI tag: expected "F" or "P", found ""'],
    [
      '{"log":"x"',
      "Docker json-file: not valid JSON: Expected ',' or '}' after property value in JSON at position 10 (line 1 column 11)",
    ],
    [`{"stream":"stdout","time":"${T}"}`, 'Docker json-file "log": expected a string, found nothing'],
    [`{"log":42,"stream":"stdout","time":"${T}"}`, 'Docker json-file "log": expected a string, found 42'],
    [docker('x\n', 'stdin'), 'Docker json-file "stream": expected "stdout" or "stderr", found "stdin"'],
    ['{"log":"x\\n","stream":"stdout"}', `Docker json-file "time": expected ${TIME_EXPECTED}, found nothing`],
    [docker('x\n', 'stdout', 'yesterday'), `Docker json-file "time": expected ${TIME_EXPECTED}, found "yesterday"`],
    [docker('x\n', 'stdout', `${T} `), `Docker json-file "time": expected ${TIME_EXPECTED}, found "${T} "`],
  ])('rejects %j', (line, reason) => {
    const { feed, messages, rejections } = decoder();
    feed('', line);
    expect(messages).toEqual([]);
    expect(rejections.slice(1)).toEqual([
      { kind: 'bad-container-log', reason, offset: 1, span: Buffer.byteLength(line) + 1 },
    ]);
  });

  it('does not disturb a partial message on either stream', () => {
    const { dec, feed, seen, rejections } = decoder();
    feed(`${T} stdout P a`, docker('b', 'stderr'), 'garbage', `${T} stdout F c`, '{"log":', docker('d\n', 'stderr'));
    expect(rejections.map((r) => [r.kind, r.offset, r.span])).toEqual([
      ['bad-container-log', 112, 8],
      ['bad-container-log', 162, 8],
    ]);
    expect(seen()).toEqual([
      ['ac', 0, 162, T_MS, 'stdout'],
      ['bd', 42, 200, T_MS, 'stderr'],
    ]);
    expect(dec.heldFrom).toBeUndefined();
  });
});

describe('too-long messages', () => {
  it('rejects the part that pushes it over, then each later part, and keeps nothing', () => {
    const { dec, feed, seen, rejections, covered, total } = decoder(10);
    feed(`${T} stdout P aaaaaa`, `${T} stderr P e`, `${T} stdout P bbbbbb`);
    expect([dec.heldFrom, dec.pendingBytes]).toEqual([47, 1]);
    feed(`${T} stdout P cc`, `${T} stdout F dd`, `${T} stdout F ok`, `${T} stderr F e`);
    expect(rejections).toEqual([
      {
        kind: 'too-long',
        reason: 'partial message too long (12 bytes so far > 10); its later parts are rejected too',
        offset: 0,
        span: 136,
      },
      { kind: 'too-long', reason: 'rest of a message too long (> 10 bytes)', offset: 136, span: 43 },
      { kind: 'too-long', reason: 'rest of a message too long (> 10 bytes)', offset: 179, span: 43 },
    ]);
    expect(seen()).toEqual([
      ['ok', 222, 43, T_MS, 'stdout'],
      ['ee', 47, 260, T_MS, 'stderr'],
    ]);
    expect([dec.heldFrom, dec.pendingBytes]).toEqual([undefined, 0]);
    // Every byte in exactly one message or rejection, when the streams do not interleave
    // (an interleaved message's span covers the other stream's lines).
    const s = decoder(10);
    s.feed(`${T} stdout P aaaaaa`, `${T} stdout P bbbbbb`, `${T} stdout P cc`, `${T} stdout F dd`);
    // CRI content keeps a CR (the framer drops one before a LF).
    s.feed(`${T} stdout F ${'x'.repeat(11)}`, `${T} stdout P aaaaaa`, `${T} stdout F bbb\r`);
    s.feed(docker('12345'), docker('67890\r'), docker('\n'), docker('0123456789'), docker('a\n'));
    expect(s.seen()).toEqual([
      ['aaaaaabbb\r', 232, 92, T_MS, 'stdout'],
      ['1234567890', 324, 221, T_MS, 'stdout'],
    ]);
    expect(s.rejections.map((r) => [r.reason, r.offset, r.span])).toEqual([
      ['partial message too long (12 bytes so far > 10); its later parts are rejected too', 0, 94],
      ['rest of a message too long (> 10 bytes)', 94, 43],
      ['rest of a message too long (> 10 bytes)', 137, 43],
      ['message too long (11 bytes > 10)', 180, 52],
      ['message too long (11 bytes > 10)', 545, 151],
    ]);
    expect(s.covered()).toBe(s.total());
    expect(covered()).toBeGreaterThan(total());
  });

  it('rejects a final part that pushes the joined message over, from its first part', () => {
    const { feed, rejections, messages } = decoder(10);
    feed(`${T} stdout P aaaaaa`, `${T} stdout F bbbbb`);
    expect(messages).toEqual([]);
    expect(rejections).toEqual([{ kind: 'too-long', reason: 'message too long (11 bytes > 10)', offset: 0, span: 93 }]);
  });
});

describe('end()', () => {
  it('emits unfinished partials as they are, oldest first, and forgets a discarded one', () => {
    const { dec, feed, seen, rejections } = decoder(10);
    feed(docker('err ', 'stderr', T2), `${T} stdout P out`, `${T} stdout P more`, `${T} stdout P:x `);
    feed(docker('x'.repeat(11), 'stdout'));
    expect(rejections.map((r) => [r.kind, r.offset, r.span])).toEqual([['too-long', 65, 212]]);
    expect([dec.heldFrom, dec.pendingBytes]).toEqual([0, 4]);
    const s = decoder(10);
    s.feed(docker('err ', 'stderr', T2), `${T} stdout P out`, `${T} stdout P more\r`, `${T} stdout P:x  `);
    expect([s.dec.heldFrom, s.dec.pendingBytes]).toEqual([0, 13]);
    s.dec.end();
    expect(s.seen()).toEqual([
      ['err ', 0, 65, T2_MS, 'stderr'],
      ['outmore\r ', 65, 134, T_MS, 'stdout'],
    ]);
    expect([s.dec.heldFrom, s.dec.pendingBytes]).toEqual([undefined, 0]);
    s.dec.end();
    expect(s.messages).toHaveLength(2);
    dec.end();
    expect(seen()).toEqual([['err ', 0, 65, T2_MS, 'stderr']]);
  });
});

describe('behind the line framer', () => {
  it('decodes the same whatever the chunking, and accounts for every byte', () => {
    const file = Buffer.from(
      [
        `${T} stdout P one `,
        `${T} stdout F two`,
        docker('three\r\n', 'stderr'),
        'bad line',
        `${T2} stderr F four\r`,
        docker('fi'),
        docker('ve\n'),
        '',
      ].join('\n'),
    );
    const rand = prng(7);
    for (let round = 0; round < 50; round++) {
      const { dec, seen, covered, rejections } = decoder();
      const framer = new LineFramer(256, {
        line: (b, o, s) => dec.line(b, o, s),
        tooLong: () => expect.unreachable(),
        blank: () => expect.unreachable(),
      });
      for (const c of chunks(file, rand, 6)) framer.push(c);
      framer.end();
      dec.end();
      expect(seen()).toEqual([
        ['one two', 0, 89, T_MS, 'stdout'],
        ['three', 89, 78, T_MS, 'stderr'],
        ['four', 176, 38, T2_MS, 'stderr'],
        ['five', 214, 144, T_MS, 'stdout'],
      ]);
      expect(rejections.map((r) => r.reason)).toEqual([`CRI time: expected ${TIME_EXPECTED}, found "bad"`]);
      expect(covered()).toBe(file.length);
    }
  });
});

describe('parseContainerFileName', () => {
  const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  it('reads pod, namespace, container and container ID', () => {
    expect(parseContainerFileName(`/var/log/containers/checkout-7d9f8b6c5-x2x9p_shop_api-${ID}.log`)).toEqual({
      pod: 'checkout-7d9f8b6c5-x2x9p',
      namespace: 'shop',
      container: 'api',
      containerId: ID,
    });
    expect(parseContainerFileName(`checkout-7d9f8b6c5-x2x9p_shop_istio-proxy-${ID}.log`)).toEqual({
      pod: 'checkout-7d9f8b6c5-x2x9p',
      namespace: 'shop',
      container: 'istio-proxy',
      containerId: ID,
    });
    expect(parseContainerFileName(`/x/etcd-node.example.com_kube-system_etcd-${ID}.log`)?.pod).toBe(
      'etcd-node.example.com',
    );
  });

  it.each([
    ['no container ID', '/var/log/containers/checkout_shop_api.log'],
    ['a short ID', `/var/log/containers/checkout_shop_api-${ID.slice(1)}.log`],
    ['an upper-case ID', `/var/log/containers/checkout_shop_api-${ID.toUpperCase()}.log`],
    ['no namespace', `/var/log/containers/checkout_api-${ID}.log`],
    ['an extra field', `/var/log/containers/a_checkout_shop_api-${ID}.log`],
    ['another extension', `/var/log/containers/checkout_shop_api-${ID}.log.1`],
    ['a directory only', `/var/log/containers/checkout_shop_api-${ID}.log/`],
    [
      'a cut name (kubelet caps names at 255 bytes)',
      `/var/log/containers/${'p'.repeat(150)}_shop_api-${ID.slice(0, 36)}.log`,
    ],
    ['an empty container name', `/var/log/containers/checkout_shop_-${ID}.log`],
  ])('is undefined for %s', (_what, path) => {
    expect(parseContainerFileName(path)).toBeUndefined();
  });
});

describe('logId templates', () => {
  const file: ContainerFile = {
    pod: 'checkout-7d9f8b6c5-x2x9p',
    namespace: 'shop',
    container: 'istio-proxy',
    containerId: '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  };
  const VALID = 'expected {namespace}, {pod}, {container} or {containerId}';

  it('renders the fields', () => {
    expect(renderLogIdTemplate('{namespace}-{container}', file)).toBe('shop-istio-proxy');
    expect(renderLogIdTemplate('k8s-{namespace}-{pod}', file)).toBe('k8s-shop-checkout-7d9f8b6c5-x2x9p');
    expect(renderLogIdTemplate('fixed', file)).toBe('fixed');
  });

  it('replaces characters of a field a configured logId cannot hold with "-" and cuts to 64 characters', () => {
    expect(renderLogIdTemplate('k8s-{pod}', { ...file, pod: 'web.v2' })).toBe('k8s-web-v2');
    expect(renderLogIdTemplate('{pod}_{containerId}', file)).toBe(
      'checkout-7d9f8b6c5-x2x9p_0123456789abcdef0123456789abcdef0123456',
    );
  });

  it('checks templates once, with reasons', () => {
    for (const t of ['{namespace}-{container}', 'k8s-{namespace}-{pod}', '{containerId}', 'x']) {
      expect(checkLogIdTemplate(t)).toBeUndefined();
    }
    expect(checkLogIdTemplate('{nmspace}-{container}')).toBe(
      `logId template "{nmspace}-{container}": unknown placeholder "{nmspace}", ${VALID}`,
    );
    expect(checkLogIdTemplate('{namespace}.{container}')).toBe(
      'logId template "{namespace}.{container}": "." outside a placeholder; a configured logId holds only letters, digits, "_" and "-"',
    );
    expect(checkLogIdTemplate('{}')).toBe(`logId template "{}": unknown placeholder "{}", ${VALID}`);
    expect(checkLogIdTemplate('{namespace')).toBe(
      'logId template "{namespace": a "{" or "}" outside a placeholder; placeholders are {namespace}, {pod}, {container} or {containerId}',
    );
    expect(checkLogIdTemplate('a}b')).toMatch(/^logId template "a}b": a "\{" or "\}" outside a placeholder/);
    expect(checkLogIdTemplate('')).toBe(
      'logId template: expected a non-empty string such as "{namespace}-{container}", found ""',
    );
  });

  it('throws a TypeError naming an unknown placeholder', () => {
    expect(() => renderLogIdTemplate('{namespace}-{app}', file)).toThrow(
      new TypeError(`logId template "{namespace}-{app}": unknown placeholder "{app}", ${VALID}`),
    );
  });
});
