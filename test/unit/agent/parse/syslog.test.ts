import { describe, expect, it } from 'vitest';
import type { AgentLine } from '../../../../agent/parse/output.ts';
import { SyslogJudge } from '../../../../agent/parse/syslog.ts';
import { parseLine } from '../../../../router/gateway/lines.ts';
import { NOW, now, ORIGIN, stamp } from './collect.ts';

const BOM = '\uFEFF';
const judge = new SyslogJudge({ stamp, now, defaultLogId: 'syslog' });
const line = (msg: string | Buffer, j = judge) => {
  const r = j.judge(typeof msg === 'string' ? Buffer.from(msg) : msg, 0, 1);
  return 'bytes' in r ? r.bytes.toString() : r;
};

describe('RFC 5424 section 6.5 examples', () => {
  it.each([
    [
      `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
      `{"time":1065910455003,"level":"fatal","logId":"su","msg":"'su root' failed for lonvick on /dev/pts/8","host":"mymachine.example.com",${ORIGIN},"syslog":{"format":"rfc5424","facility":"auth","severity":"crit","appName":"su","msgId":"ID47"}}`,
    ],
    [
      "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
      `{"time":1061727255000,"level":"info","logId":"myproc","msg":"%% It's time to make the do-nuts.","host":"192.0.2.1",${ORIGIN},"syslog":{"format":"rfc5424","facility":"local4","severity":"notice","appName":"myproc","procId":"8710"}}`,
    ],
    [
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
      `{"time":1065910455003,"level":"info","logId":"evntslog","msg":"An application event log entry...","host":"mymachine.example.com",${ORIGIN},"syslog":{"format":"rfc5424","facility":"local4","severity":"notice","appName":"evntslog","msgId":"ID47","structuredData":{"exampleSDID@32473":{"iut":"3","eventSource":"Application","eventID":"1011"}}}}`,
    ],
    [
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
      `{"time":1065910455003,"level":"info","logId":"evntslog","msg":"","host":"mymachine.example.com",${ORIGIN},"syslog":{"format":"rfc5424","facility":"local4","severity":"notice","appName":"evntslog","msgId":"ID47","structuredData":{"exampleSDID@32473":{"iut":"3","eventSource":"Application","eventID":"1011"},"examplePriority@32473":{"class":"high"}}}}`,
    ],
  ])('%s', (msg, want) => {
    expect(line(msg)).toBe(want);
    expect(parseLine(Buffer.from(want), 1)).not.toHaveProperty('reason');
  });
});

describe('RFC 5424 details', () => {
  it.each([
    // All NILVALUEs: receive time, agent host, default logId.
    [
      '<15>1 - - - - - -',
      `{"time":${NOW},"level":"debug","logId":"syslog","msg":"","host":"agent-1",${ORIGIN},"syslog":{"format":"rfc5424","facility":"user","severity":"debug"}}`,
    ],
    // Escapes, a repeated param, a trailing CRLF, a UTF-8 message.
    [
      '<11>1 2026-01-05T13:00:00+01:00 h app 1 m [x@1 a="q\\"b\\\\c\\]d\\e" a="2"] héllo\r\n',
      `{"time":${NOW},"level":"error","logId":"app","msg":"héllo","host":"h",${ORIGIN},"syslog":{"format":"rfc5424","facility":"user","severity":"err","appName":"app","procId":"1","msgId":"m","structuredData":{"x@1":{"a":["q\\"b\\\\c]d\\\\e","2"]}}}}`,
    ],
    // An APP-NAME that is no valid logId falls back to the default.
    [
      '<12>1 - h my/app - - - x',
      `{"time":${NOW},"level":"warn","logId":"syslog","msg":"x","host":"h",${ORIGIN},"syslog":{"format":"rfc5424","facility":"user","severity":"warning","appName":"my/app"}}`,
    ],
  ])('%j', (msg, want) => {
    expect(line(msg)).toBe(want);
  });

  it('maps every severity to a level', () => {
    const levels = [0, 1, 2, 3, 4, 5, 6, 7].map(
      (s) => (judge.judge(Buffer.from(`<${8 + s}>1 - - a - - -`), 0, 1) as AgentLine).level,
    );
    expect(levels).toEqual(['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug']);
  });

  it('lets a rule override APP-NAME', () => {
    const j = new SyslogJudge({
      stamp,
      now,
      rules: [
        { match: { appName: 'nginx', facility: 'local7' }, logId: 'edge-nginx' },
        { match: { hostname: 'db-1' }, logId: 'db' },
      ],
    });
    expect((j.judge(Buffer.from('<190>1 - web nginx - - - GET /'), 0, 1) as AgentLine).logId).toBe('edge-nginx');
    expect((j.judge(Buffer.from('<14>1 - web nginx - - - GET /'), 0, 1) as AgentLine).logId).toBe('nginx');
    expect((j.judge(Buffer.from('<14>Oct 11 22:14:15 db-1 postgres[9]: ready'), 0, 1) as AgentLine).logId).toBe('db');
  });
});

describe('RFC 3164', () => {
  it.each([
    // RFC 3164 section 5.4 examples.
    [
      "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
      `{"time":1760220855000,"level":"fatal","logId":"su","msg":"'su root' failed for lonvick on /dev/pts/8","host":"mymachine",${ORIGIN},"syslog":{"format":"rfc3164","facility":"auth","severity":"crit","appName":"su"}}`,
    ],
    [
      '<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!',
      `{"time":1770312738000,"level":"info","logId":"syslog","msg":"Use the BFG!","host":"10.0.0.99",${ORIGIN},"syslog":{"format":"rfc3164","facility":"user","severity":"notice"}}`,
    ],
    // Non-conforming on purpose in the RFC: "CST 1987" is not part of any timestamp form, so CST reads as the host.
    [
      "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.",
      `{"time":1756013640000,"level":"info","logId":"syslog","msg":"1987 mymachine myproc[10]: %% It's time to make the do-nuts.","host":"CST",${ORIGIN},"syslog":{"format":"rfc3164","facility":"local4","severity":"notice"}}`,
    ],
    // Year first (BSD style with year).
    [
      "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
      `{"time":656592721000,"level":"fatal","logId":"syslog","msg":"scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!","host":"TZ-6",${ORIGIN},"syslog":{"format":"rfc3164","facility":"kern","severity":"emerg"}}`,
    ],
    // Year after the day, fractional seconds, tag with pid, trailing LF.
    [
      '<30>Oct 11 2003 22:14:15.250 web-1 nginx[812]: GET /\n',
      `{"time":1065910455250,"level":"info","logId":"nginx","msg":"GET /","host":"web-1",${ORIGIN},"syslog":{"format":"rfc3164","facility":"daemon","severity":"info","appName":"nginx","procId":"812"}}`,
    ],
    // No hostname (local /dev/log style): the tag is recognised, the host is the agent's.
    [
      '<86>Jan  5 11:59:00 sshd[42]: Accepted publickey',
      `{"time":1767614340000,"level":"info","logId":"sshd","msg":"Accepted publickey","host":"agent-1",${ORIGIN},"syslog":{"format":"rfc3164","facility":"authpriv","severity":"info","appName":"sshd","procId":"42"}}`,
    ],
    // December seen on January 5th: last year.
    [
      '<13>Dec 31 23:59:59 h cron: x',
      `{"time":1767225599000,"level":"info","logId":"cron","msg":"x","host":"h",${ORIGIN},"syslog":{"format":"rfc3164","facility":"user","severity":"notice","appName":"cron"}}`,
    ],
    // RFC 3339 timestamp (rsyslog high precision).
    [
      '<13>2026-01-05T11:00:00.123456+00:00 h app: x',
      `{"time":1767610800123,"level":"info","logId":"app","msg":"x","host":"h",${ORIGIN},"syslog":{"format":"rfc3164","facility":"user","severity":"notice","appName":"app"}}`,
    ],
    // No timestamp: receive time, all content.
    [
      '<13>hello world',
      `{"time":${NOW},"level":"info","logId":"syslog","msg":"hello world","host":"agent-1",${ORIGIN},"syslog":{"format":"rfc3164","facility":"user","severity":"notice"}}`,
    ],
  ])('%j', (msg, want) => {
    expect(line(msg)).toBe(want);
  });

  it('reads BSD times as UTC plus bsdOffsetMinutes', () => {
    const j = new SyslogJudge({ stamp, now, defaultLogId: 'x', bsdOffsetMinutes: 60 });
    const r = j.judge(Buffer.from('<13>Oct 11 2003 22:14:15 h a: m'), 0, 1) as AgentLine;
    expect(JSON.parse(r.bytes.toString()).time).toBe(Date.UTC(2003, 9, 11, 21, 14, 15));
  });
});

describe('rejections, exact reasons', () => {
  const noDefault = new SyslogJudge({ stamp, now, maxMessageBytes: 100 });
  it.each([
    ['', 'empty', 'empty message'],
    ['\r\n', 'empty', 'empty message'],
    ['hello', 'bad-syslog', 'PRI: expected "<" at the start of the message, found "hello"'],
    ['<>1 - - - - - -', 'bad-syslog', 'PRI: expected 1-3 digits and ">" after "<", found ">1 - - - - - -"'],
    ['<1234>x', 'bad-syslog', 'PRI: expected 1-3 digits and ">" after "<", found "1234>x"'],
    ['<192>x', 'bad-syslog', 'PRI: 192 is out of range 0..191'],
    ['<13>2 - - - - - -', 'bad-syslog', 'unsupported syslog VERSION 2 (RFC 5424 defines 1)'],
    [
      '<13>1 2003-10-11 h a - - -',
      'bad-syslog',
      'RFC 5424 TIMESTAMP: expected "-" or an RFC 3339 date-time like 2003-10-11T22:14:15.003Z, found "2003-10-11"',
    ],
    [
      '<13>1 2003-02-29T00:00:00Z h a - - -',
      'bad-syslog',
      'RFC 5424 TIMESTAMP: expected "-" or an RFC 3339 date-time like 2003-10-11T22:14:15.003Z, found "2003-02-29T00:00:00Z"',
    ],
    [
      `<13>1 - - ${'a'.repeat(49)} - - -`,
      'bad-syslog',
      'RFC 5424 APP-NAME: expected "-" or 1-48 printable ASCII characters, found "aaaaaaaaaaaaaaaaaaaaaaaa"…',
    ],
    [
      '<13>1 - h  a - - -',
      'bad-syslog',
      'RFC 5424 APP-NAME: expected "-" or 1-48 printable ASCII characters, found ""',
    ],
    [
      '<13>1 - h é - - -',
      'bad-syslog',
      'RFC 5424 APP-NAME: expected "-" or 1-48 printable ASCII characters, found "é"',
    ],
    [
      '<13>1 - h a - -',
      'bad-syslog',
      'RFC 5424: the message ends in the header at MSGID; expected MSGID STRUCTURED-DATA',
    ],
    ['<13>1 - h a - - x', 'bad-syslog', 'RFC 5424 STRUCTURED-DATA: expected "-" or "[", found "x"'],
    ['<13>1 - h a - - -x', 'bad-syslog', 'RFC 5424: expected a space before MSG, found "x"'],
    [
      '<13>1 - h a - - [x a="1"',
      'bad-syslog',
      'RFC 5424 STRUCTURED-DATA: expected " " or "]" in [x, found the end of the message',
    ],
    ['<13>1 - h a - - [x a=1]', 'bad-syslog', 'RFC 5424 STRUCTURED-DATA: expected =" after a in [x, found "=1]"'],
    ['<13>1 - h a - - [x a="1]', 'bad-syslog', 'RFC 5424 STRUCTURED-DATA: unterminated value of a in [x'],
    [
      '<13>1 - h a - - [=x]',
      'bad-syslog',
      'RFC 5424 STRUCTURED-DATA: expected an SD-ID of 1-32 printable characters except = ] " and space, found "=x]"',
    ],
    ['<13>Feb 30 10:00:00 h a: x', 'bad-syslog', 'RFC 3164 TIMESTAMP: no such time "Feb 30 10:00:00"'],
    [
      '<13>1 - h - - - - x',
      'no-log-id',
      'no logId: the message has no APP-NAME, no rule matched and the input has no defaultLogId',
    ],
    [
      '<13>Oct 11 22:14:15 h postfix/smtpd[1]: x',
      'no-log-id',
      'no logId: APP-NAME "postfix/smtpd" is not a valid logId, no rule matched and the input has no defaultLogId',
    ],
    [`<13>${'x'.repeat(97)}`, 'too-long', 'message too long (101 bytes > 100)'],
  ])('%j', (msg, kind, reason) => {
    expect(noDefault.judge(Buffer.from(msg), 0, 1)).toEqual({ kind, reason, offset: 0, span: 1 });
  });

  it('rejects invalid UTF-8 anywhere in the message', () => {
    const msg = Buffer.concat([Buffer.from('<13>1 - h a - - - '), Buffer.from([0xc3, 0x28])]);
    expect(judge.judge(msg, 0, 1)).toEqual({ kind: 'invalid-utf8', reason: 'invalid UTF-8', offset: 0, span: 1 });
  });
});
