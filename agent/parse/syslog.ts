/**
 * One syslog message (RFC 5424 or RFC 3164, without its transport framing) to a router
 * line. Framing lives in syslog-framing.ts.
 *
 * Format: after `<PRI>`, 1-3 digits and a space are RFC 5424's VERSION (only 1 is
 * accepted); anything else is read as RFC 3164 (BSD).
 *
 * RFC 5424 is parsed strictly (a bad field is rejected naming the field and what was
 * found); RFC 3164 leniently, as RFC 3164 section 4.3 asks of a relay, since it was
 * written down after the fact and senders differ:
 * - TIMESTAMP: `Mmm dd hh:mm:ss`, with an optional year after the day (`Oct 11 2003
 *   22:14:15`) or before the month (`1990 Oct 22 10:52:01`), optional fractional
 *   seconds, or an RFC 3339 date-time (rsyslog's high-precision format). Without a year,
 *   the year that puts the time closest to now. BSD times have no zone: they are read as
 *   UTC plus `bsdOffsetMinutes`. No recognisable timestamp: the receive time is used and
 *   everything after PRI is the content.
 * - HOSTNAME: the word after the timestamp, unless it looks like a TAG (`su:`, `cron[12]`).
 * - TAG: `name[pid]:`, `name:` or `name[pid]` gives APP-NAME and PROCID; otherwise there
 *   is no APP-NAME and the content is all MSG.
 *
 * Record: level from severity (0-2 fatal, 3 error, 4 warn, 5-6 info, 7 debug); host from
 * HOSTNAME, else the agent's; logId per log-id.ts (rules, then APP-NAME when it is a valid
 * logId, then the default); the rest goes under `syslog` (facility and severity by name,
 * appName, procId, msgId, structuredData as `{ sdId: { param: value } }`, a repeated param
 * becoming an array). A trailing LF/CRLF/NUL is dropped; a leading BOM of an RFC 5424
 * MSG is dropped. Time is whole milliseconds (microseconds are truncated).
 */
import { isUtf8 } from 'node:buffer';
import { SEVERITY_LEVELS } from './level.ts';
import { checkRules, isLogId, LOG_ID_EXPECTED, type LogIdRule, matchRules } from './log-id.ts';
import type { AgentLine, Rejection } from './output.ts';
import { type Stamp, toLine } from './record.ts';
import { bsdMs, rfc3339 } from './timestamp.ts';

/** RFC 5424 section 6.2.1 facility names; 13-15 named after their descriptions there. */
export const FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'audit',
  'alert',
  'clock',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;
/** RFC 5424 section 6.2.1 severity keywords. */
export const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

export type SdParams = Record<string, string | string[]>;

/** A parsed message, before logId resolution. */
export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  facility: number;
  severity: number;
  /** ms epoch; undefined when the message carries none (NILVALUE, or no BSD timestamp). */
  time: number | undefined;
  hostname: string | undefined;
  appName: string | undefined;
  procId: string | undefined;
  msgId: string | undefined;
  structuredData: Record<string, SdParams> | undefined;
  msg: string;
}

export interface SyslogOptions {
  stamp: Stamp;
  defaultLogId?: string | undefined;
  /**
   * Matched against appName, hostname, procId, msgId, facility (name, e.g. 'local0') and
   * severity (keyword, e.g. 'err'); checked before APP-NAME. @default []
   */
  rules?: readonly LogIdRule[] | undefined;
  /** Longer messages are rejected (TCP frames and datagrams). @default DEFAULT_SYSLOG_MAX_MESSAGE_BYTES */
  maxMessageBytes?: number | undefined;
  /** Offset of BSD timestamps from UTC, in minutes (they carry no zone). @default 0 */
  bsdOffsetMinutes?: number | undefined;
  /** Receive-time clock. @default Date.now */
  now?: (() => number) | undefined;
}

/** 64 KiB: the most a UDP datagram can carry, so TCP accepts whatever UDP could (rsyslog's default is 8 KiB). */
export const DEFAULT_SYSLOG_MAX_MESSAGE_BYTES = 65_536;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;
const ISO_AT = /(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})(?= |$)/y;
const BSD_AT = /([A-Za-z]{3}) {1,2}(\d{1,2}) (?:(\d{4}) )?(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?= |$)/y;
const YEAR_FIRST_AT = /(\d{4}) ([A-Za-z]{3}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?= |$)/y;
const VERSION_AT = /([1-9]\d{0,2}) /y;
const TAG_AT = /([^ :[\]]{1,48})(?:\[([^ \]]{1,128})\])?(:)?(?: |$)/y;
const LOOKS_LIKE_TAG = /(?::|\[[^\]]*\]:?)$/;
const EXCERPT = 24;

/** What a reason quotes from position p: a short JSON-quoted excerpt, or the end. */
function near(s: string, p: number): string {
  if (p >= s.length) return 'the end of the message';
  return `${JSON.stringify(s.slice(p, p + EXCERPT))}${s.length > p + EXCERPT ? '…' : ''}`;
}

function quoteToken(t: string): string {
  return t.length > EXCERPT ? `${JSON.stringify(t.slice(0, EXCERPT))}…` : JSON.stringify(t);
}

function printable(t: string, max: number): boolean {
  if (t.length < 1 || t.length > max) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 33 || c > 126) return false;
  }
  return true;
}

/** SD-NAME: 1-32 printable US-ASCII except '=', SP, ']' and '"'. Returns the end index. */
function sdNameEnd(s: string, p: number): number {
  let e = p;
  while (e < s.length && e - p < 33) {
    const c = s.charCodeAt(e);
    if (c < 33 || c > 126 || c === 61 || c === 93 || c === 34) break;
    e++;
  }
  return e - p >= 1 && e - p <= 32 ? e : -1;
}

/** RFC 5424 STRUCTURED-DATA starting at '['; returns the data and the index after it, or a reason. */
function parseSd(s: string, start: number): { sd: Record<string, SdParams>; end: number } | string {
  const sd: Record<string, SdParams> = Object.create(null);
  let p = start;
  while (s[p] === '[') {
    p++;
    const idEnd = sdNameEnd(s, p);
    if (idEnd === -1) {
      return `RFC 5424 STRUCTURED-DATA: expected an SD-ID of 1-32 printable characters except = ] " and space, found ${near(s, p)}`;
    }
    const id = s.slice(p, idEnd);
    p = idEnd;
    let params = sd[id];
    if (params === undefined) {
      params = Object.create(null) as SdParams;
      sd[id] = params;
    }
    for (;;) {
      if (s[p] === ']') {
        p++;
        break;
      }
      if (s[p] !== ' ') return `RFC 5424 STRUCTURED-DATA: expected " " or "]" in [${id}, found ${near(s, p)}`;
      p++;
      const nameEnd = sdNameEnd(s, p);
      if (nameEnd === -1) {
        return `RFC 5424 STRUCTURED-DATA: expected a PARAM-NAME of 1-32 printable characters in [${id}, found ${near(s, p)}`;
      }
      const name = s.slice(p, nameEnd);
      p = nameEnd;
      if (s[p] !== '=' || s[p + 1] !== '"') {
        return `RFC 5424 STRUCTURED-DATA: expected =" after ${name} in [${id}, found ${near(s, p)}`;
      }
      p += 2;
      let value = '';
      let from = p;
      for (;;) {
        if (p >= s.length) return `RFC 5424 STRUCTURED-DATA: unterminated value of ${name} in [${id}`;
        const c = s.charCodeAt(p);
        if (c === 34) break;
        // '\"', '\\' and '\]' are escapes; a backslash before anything else is a backslash (RFC 5424 6.3.3).
        if (c === 92 && (s[p + 1] === '"' || s[p + 1] === '\\' || s[p + 1] === ']')) {
          value += s.slice(from, p);
          from = p + 1;
          p += 2;
          continue;
        }
        p++;
      }
      value += s.slice(from, p);
      p++;
      const prev = params[name];
      if (prev === undefined) params[name] = value;
      else if (typeof prev === 'string') params[name] = [prev, value];
      else prev.push(value);
    }
  }
  return { sd, end: p };
}

const HEADER = ['TIMESTAMP', 'HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID'] as const;
/** RFC 5424 section 6 field lengths. */
const HEADER_MAX = [0, 255, 48, 128, 32];

function parse5424(s: string, start: number, pri: number): SyslogMessage | string {
  const v: (string | undefined)[] = [];
  let p = start;
  let time: number | undefined;
  for (let f = 0; f < HEADER.length; f++) {
    const e = s.indexOf(' ', p);
    if (e === -1) {
      return `RFC 5424: the message ends in the header at ${HEADER[f]}; expected ${HEADER.slice(f).join(' ')} STRUCTURED-DATA`;
    }
    const tok = s.slice(p, e);
    p = e + 1;
    if (tok === '-') {
      v.push(undefined);
      continue;
    }
    if (f === 0) {
      const m = RFC3339.exec(tok);
      time = m === null ? undefined : rfc3339(m);
      if (time === undefined) {
        return `RFC 5424 TIMESTAMP: expected "-" or an RFC 3339 date-time like 2003-10-11T22:14:15.003Z, found ${quoteToken(tok)}`;
      }
      v.push(tok);
    } else if (!printable(tok, HEADER_MAX[f]!)) {
      return `RFC 5424 ${HEADER[f]}: expected "-" or 1-${HEADER_MAX[f]} printable ASCII characters, found ${quoteToken(tok)}`;
    } else {
      v.push(tok);
    }
  }
  let structuredData: Record<string, SdParams> | undefined;
  if (s[p] === '-') {
    p++;
  } else if (s[p] === '[') {
    const r = parseSd(s, p);
    if (typeof r === 'string') return r;
    structuredData = r.sd;
    p = r.end;
  } else {
    return `RFC 5424 STRUCTURED-DATA: expected "-" or "[", found ${near(s, p)}`;
  }
  let msg = '';
  if (p < s.length) {
    if (s[p] !== ' ') return `RFC 5424: expected a space before MSG, found ${near(s, p)}`;
    msg = s.charCodeAt(p + 1) === 0xfeff ? s.slice(p + 2) : s.slice(p + 1);
  }
  return {
    format: 'rfc5424',
    facility: pri >> 3,
    severity: pri & 7,
    time,
    hostname: v[1],
    appName: v[2],
    procId: v[3],
    msgId: v[4],
    structuredData,
    msg,
  };
}

/** A 3164 timestamp at p: its time and end, a reason when it names no such time, or undefined when there is none. */
function timestampAt(
  s: string,
  p: number,
  nowMs: number,
  offsetMin: number,
): { time: number; end: number } | string | undefined {
  ISO_AT.lastIndex = p;
  const iso = ISO_AT.exec(s);
  if (iso !== null) {
    const time = rfc3339(iso);
    return time === undefined
      ? `RFC 3164 TIMESTAMP: no such time ${quoteToken(iso[0])}`
      : { time, end: ISO_AT.lastIndex };
  }
  BSD_AT.lastIndex = p;
  YEAR_FIRST_AT.lastIndex = p;
  let t: number | undefined | 'no-month';
  let m = BSD_AT.exec(s);
  if (m !== null) {
    t = bsdMs(m[3] === undefined ? undefined : +m[3], m[1]!, +m[2]!, +m[4]!, +m[5]!, +m[6]!, m[7], nowMs, offsetMin);
  } else {
    m = YEAR_FIRST_AT.exec(s);
    if (m === null) return undefined;
    t = bsdMs(+m[1]!, m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7], nowMs, offsetMin);
  }
  // An unknown month name: not a timestamp but the start of the content.
  if (t === 'no-month') return undefined;
  if (t === undefined) return `RFC 3164 TIMESTAMP: no such time ${quoteToken(m[0])}`;
  return { time: t, end: m.index + m[0].length };
}

function parse3164(s: string, start: number, pri: number, nowMs: number, offsetMin: number): SyslogMessage | string {
  let p = start;
  const ts = timestampAt(s, p, nowMs, offsetMin);
  if (typeof ts === 'string') return ts;
  const time = ts?.time;
  let hostname: string | undefined;
  if (ts !== undefined) {
    p = ts.end;
    if (s[p] === ' ') p++;
    const e = s.indexOf(' ', p);
    if (e > p) {
      const tok = s.slice(p, e);
      if (!LOOKS_LIKE_TAG.test(tok) && printable(tok, 255)) {
        hostname = tok;
        p = e + 1;
      }
    }
  }
  let appName: string | undefined;
  let procId: string | undefined;
  TAG_AT.lastIndex = p;
  const tag = TAG_AT.exec(s);
  if (tag !== null && (tag[2] !== undefined || tag[3] !== undefined)) {
    appName = tag[1];
    procId = tag[2];
    p = tag.index + tag[0].length;
  }
  return {
    format: 'rfc3164',
    facility: pri >> 3,
    severity: pri & 7,
    time,
    hostname,
    appName,
    procId,
    msgId: undefined,
    structuredData: undefined,
    msg: s.slice(p),
  };
}

/**
 * Parses one message's text (trailing LF/CR/NUL already dropped). Returns the reason
 * when it is not syslog; never throws.
 */
export function parseSyslogText(s: string, nowMs: number, bsdOffsetMinutes = 0): SyslogMessage | string {
  if (s.length === 0) return 'empty message';
  if (s[0] !== '<') return `PRI: expected "<" at the start of the message, found ${near(s, 0)}`;
  let p = 1;
  let pri = 0;
  while (p < 4 && p < s.length) {
    const c = s.charCodeAt(p);
    if (c < 48 || c > 57) break;
    pri = pri * 10 + (c - 48);
    p++;
  }
  if (p === 1 || s[p] !== '>') return `PRI: expected 1-3 digits and ">" after "<", found ${near(s, 1)}`;
  if (pri > 191) return `PRI: ${pri} is out of range 0..191`;
  p++;
  VERSION_AT.lastIndex = p;
  const version = VERSION_AT.exec(s);
  if (version !== null) {
    if (version[1] !== '1') return `unsupported syslog VERSION ${version[1]} (RFC 5424 defines 1)`;
    return parse5424(s, p + 2, pri);
  }
  return parse3164(s, p, pri, nowMs, bsdOffsetMinutes);
}

/** Judges single messages; shared by every connection of one input. */
export class SyslogJudge {
  readonly maxMessageBytes: number;
  readonly #stamp: Stamp;
  readonly #defaultLogId: string | undefined;
  readonly #rules: readonly LogIdRule[];
  readonly #offset: number;
  readonly #now: () => number;

  constructor(options: SyslogOptions) {
    if (options.defaultLogId !== undefined && !isLogId(options.defaultLogId)) {
      throw new TypeError(`defaultLogId: expected ${LOG_ID_EXPECTED}, found ${JSON.stringify(options.defaultLogId)}`);
    }
    const max = options.maxMessageBytes ?? DEFAULT_SYSLOG_MAX_MESSAGE_BYTES;
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError(`maxMessageBytes: expected a positive integer, found ${max}`);
    this.maxMessageBytes = max;
    this.#stamp = options.stamp;
    this.#defaultLogId = options.defaultLogId;
    this.#rules = checkRules(options.rules);
    this.#offset = options.bsdOffsetMinutes ?? 0;
    this.#now = options.now ?? Date.now;
  }

  /** One message's bytes (no framing); `offset`/`span` are passed through for accounting. */
  judge(bytes: Buffer, offset: number, span: number): AgentLine | Rejection {
    if (bytes.length > this.maxMessageBytes) {
      const reason = `message too long (${bytes.length} bytes > ${this.maxMessageBytes})`;
      return { kind: 'too-long', reason, offset, span };
    }
    let end = bytes.length;
    while (end > 0 && (bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0)) end--;
    if (end === 0) return { kind: 'empty', reason: 'empty message', offset, span };
    const body = end === bytes.length ? bytes : bytes.subarray(0, end);
    if (!isUtf8(body)) return { kind: 'invalid-utf8', reason: 'invalid UTF-8', offset, span };
    const now = this.#now();
    const m = parseSyslogText(body.toString('utf8'), now, this.#offset);
    if (typeof m === 'string') return { kind: 'bad-syslog', reason: m, offset, span };

    const facility = FACILITIES[m.facility]!;
    const severity = SEVERITIES[m.severity]!;
    let logId =
      this.#rules.length > 0
        ? matchRules(this.#rules, {
            appName: m.appName,
            hostname: m.hostname,
            procId: m.procId,
            msgId: m.msgId,
            facility,
            severity,
          })
        : undefined;
    if (logId === undefined && isLogId(m.appName)) logId = m.appName;
    logId ??= this.#defaultLogId;
    if (logId === undefined) {
      const why =
        m.appName === undefined
          ? 'the message has no APP-NAME'
          : `APP-NAME ${quoteToken(m.appName)} is not a valid logId`;
      return {
        kind: 'no-log-id',
        reason: `no logId: ${why}, no rule matched and the input has no defaultLogId`,
        offset,
        span,
      };
    }
    const level = SEVERITY_LEVELS[m.severity]!;
    const line = toLine({
      time: m.time ?? now,
      level,
      logId,
      msg: m.msg,
      host: m.hostname ?? this.#stamp.host,
      origin: this.#stamp.origin,
      fields: {
        syslog: {
          format: m.format,
          facility,
          severity,
          appName: m.appName,
          procId: m.procId,
          msgId: m.msgId,
          structuredData: m.structuredData,
        },
      },
    });
    return { logId, level, bytes: line, offset, span };
  }
}
