/**
 * The agent's record and its wire form: one JSON object per line, as the router's line
 * judge reads it (router/gateway/lines.ts): `logId` and `level` are required, everything
 * else is forwarded as the line's own bytes.
 *
 * Records the agent builds itself (syslog, plain text) are written by `toLine`. JSON
 * objects from services are forwarded as they came, with only the missing fields added
 * by `stampOrigin`, which splices them in before the closing brace instead of
 * re-serialising the object (bench/agent-parse.ts measures the difference).
 */
import type { Level } from '../../config/common.ts';

/** Where a record comes from, stamped by the agent from its config (config/agent.ts `origin`). */
export interface Origin {
  region: string;
  zone: string;
  cluster: string;
  appId: string;
}

export interface AgentRecord {
  /** Milliseconds since the epoch, integer. */
  time: number;
  level: Level;
  logId: string;
  msg: string;
  host: string;
  origin: Readonly<Origin>;
  /**
   * Written after the core fields, at the top level. Keys equal to a core field name
   * (time, level, logId, msg, host, origin) are skipped, so a field can never change
   * where a record is routed; `undefined` values are skipped as JSON.stringify does.
   */
  fields?: Readonly<Record<string, unknown>>;
}

/** The agent's own host and origin, pre-encoded once so stamping a line only concatenates. */
export interface Stamp {
  readonly host: string;
  readonly origin: Readonly<Origin>;
  /** `"host":"…"`. */
  readonly hostJson: string;
  /** `{"region":…,"zone":…,"cluster":…,"appId":…}`. */
  readonly originJson: string;
  /** `,"host":…,"origin":{…}}` as bytes: the whole addition for a pino line, copied without encoding. */
  readonly hostOriginTail: Buffer;
}

export function makeStamp(host: string, origin: Origin): Stamp {
  const o = Object.freeze({ region: origin.region, zone: origin.zone, cluster: origin.cluster, appId: origin.appId });
  const hostJson = `"host":${JSON.stringify(host)}`;
  const originJson = originJsonOf(o);
  const hostOriginTail = Buffer.from(`,${hostJson},"origin":${originJson}}`);
  return Object.freeze({ host, origin: o, hostJson, originJson, hostOriginTail });
}

const CORE = new Set(['time', 'level', 'logId', 'msg', 'host', 'origin']);
const originCache = new WeakMap<object, string>();

function originJsonOf(o: Readonly<Origin>): string {
  let s = originCache.get(o);
  if (s === undefined) {
    s = `{"region":${JSON.stringify(o.region)},"zone":${JSON.stringify(o.zone)},"cluster":${JSON.stringify(o.cluster)},"appId":${JSON.stringify(o.appId)}}`;
    originCache.set(o, s);
  }
  return s;
}

/**
 * One JSON line (no newline) in a fixed key order: time, level, logId, msg, host, origin,
 * then the fields. Throws only on what JSON.stringify throws on (BigInt, cycles), which
 * the parsers never put in fields.
 */
export function toLine(record: AgentRecord): Buffer {
  let s = `{"time":${Number.isFinite(record.time) ? record.time : 'null'},"level":"${record.level}","logId":${JSON.stringify(record.logId)},"msg":${JSON.stringify(record.msg)},"host":${JSON.stringify(record.host)},"origin":${originJsonOf(record.origin)}`;
  const fields = record.fields;
  if (fields !== undefined) {
    for (const k of Object.keys(fields)) {
      if (CORE.has(k)) continue;
      const v = JSON.stringify(fields[k]);
      if (v !== undefined) s += `,${JSON.stringify(k)}:${v}`;
    }
  }
  return Buffer.from(`${s}}`);
}

/** Values the agent resolved for a service's object: set when missing, replaced when present. */
export interface StampValues {
  /** A logId from a rule or the input's default. */
  logId?: string | undefined;
  /** The pino label, when the object's level is missing or an alias the router would not accept. */
  level?: Level | undefined;
  /** Used when the object has no `time`. */
  timeMs: number;
  /** Fields the input adds (Kubernetes metadata, stream), each only when the object lacks it. */
  extra?: readonly ExtraField[] | undefined;
}

/** A field an input adds to every record, its JSON encoded once. */
export interface ExtraField {
  readonly key: string;
  readonly value: unknown;
  /** `"key":value`, encoded once per input or file. */
  readonly member: string;
}

export function extraField(key: string, value: unknown): ExtraField {
  return Object.freeze({ key, value, member: `${JSON.stringify(key)}:${JSON.stringify(value)}` });
}

const isSpace = (c: number | undefined) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * Completes a service's JSON object so the router accepts it: adds `time`, `host` and
 * `origin` when missing, and `logId`/`level` when the agent resolved them. The original
 * bytes are kept: the additions are spliced in before the closing brace (one allocation,
 * one copy); when nothing is missing, `line` itself is returned. A value that must be
 * *replaced* (an alias level such as "warning") goes through `stampBySerialising`, since
 * splicing a second `level` key would make a duplicate key (Elasticsearch rejects those).
 *
 * `line` must be exactly the text `parsed` came from (a JSON object, surrounding
 * whitespace allowed); `parsed` may be modified on the re-serialising path.
 */
export function stampOrigin(line: Buffer, parsed: Record<string, unknown>, stamp: Stamp, values: StampValues): Buffer {
  if (
    (values.logId !== undefined && parsed.logId !== undefined) ||
    (values.level !== undefined && parsed.level !== undefined)
  ) {
    return stampBySerialising(parsed, stamp, values);
  }
  let close = line.length - 1;
  while (close > 0 && isSpace(line[close])) close--;
  const noHost = parsed.host === undefined;
  const noOrigin = parsed.origin === undefined;
  const extra = values.extra;
  if (
    noHost &&
    noOrigin &&
    values.logId === undefined &&
    values.level === undefined &&
    parsed.time !== undefined &&
    extra === undefined
  ) {
    // The pino case (time, level and logId present): one copy, no string encoding.
    const tail = stamp.hostOriginTail;
    const out = Buffer.allocUnsafe(close + tail.length);
    line.copy(out, 0, 0, close);
    tail.copy(out, close);
    return out;
  }
  let add = '';
  if (parsed.time === undefined) add += `,"time":${values.timeMs}`;
  if (values.level !== undefined) add += `,"level":"${values.level}"`;
  if (values.logId !== undefined) add += `,"logId":${JSON.stringify(values.logId)}`;
  if (noHost) add += `,${stamp.hostJson}`;
  if (noOrigin) add += `,"origin":${stamp.originJson}`;
  if (extra !== undefined) for (const f of extra) if (parsed[f.key] === undefined) add += `,${f.member}`;
  if (add === '') return line;

  let open = 0;
  while (open < close && isSpace(line[open])) open++;
  let first = open + 1;
  while (first < close && isSpace(line[first])) first++;
  // `{}`: no member before ours, so no leading comma.
  const text = first === close ? `${add.slice(1)}}` : `${add}}`;
  const out = Buffer.allocUnsafe(close + Buffer.byteLength(text));
  line.copy(out, 0, 0, close);
  out.write(text, close);
  return out;
}

/**
 * The reference way: set the values on the parsed object and JSON.stringify it. Used
 * when a present value must be replaced, and by the benchmark as the peer. Produces the
 * same object as `stampOrigin`, key order included (added keys go last in the same order).
 */
export function stampBySerialising(parsed: Record<string, unknown>, stamp: Stamp, values: StampValues): Buffer {
  if (parsed.time === undefined) parsed.time = values.timeMs;
  if (values.level !== undefined) parsed.level = values.level;
  if (values.logId !== undefined) parsed.logId = values.logId;
  if (parsed.host === undefined) parsed.host = stamp.host;
  if (parsed.origin === undefined) parsed.origin = stamp.origin;
  if (values.extra !== undefined)
    for (const f of values.extra) if (parsed[f.key] === undefined) parsed[f.key] = f.value;
  return Buffer.from(JSON.stringify(parsed));
}
