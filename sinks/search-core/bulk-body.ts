/**
 * The bulk request body, built from the record bytes: for each record an action line and
 * the record's JSON line as the agent sent it, never parsed and re-serialised (see
 * bench/bulk-body.ts for what that saves).
 *
 * `@timestamp`: a pino line carries `time` (epoch ms) but no `@timestamp`. When the line has
 * no `"@timestamp"` key, one is spliced in right after the opening brace, from the record's
 * Kafka timestamp (the same instant that picks the daily index, so a document always sits
 * in the index its own `@timestamp` names). The check is a byte search for `"@timestamp"`;
 * a line that has it only in a nested object gets no top-level one (the engine then keeps
 * it without a `@timestamp`, it is not rejected). The record's own `time` stays and is
 * mapped as a date by the index template, so event-time queries work too. No ingest
 * pipeline: it would cost a pipeline execution per document on the engine.
 *
 * Document ids are `<cluster>:<topic>:<partition>:<offset>` of the main topic, and the
 * action is `create`: a redelivery after a crash or a gutter replay answers 409 for a
 * document that is already there, which counts as written (see bulk-result.ts). That makes
 * at-least-once delivery land exactly once in the index, at the price of the engine's
 * id lookup per document (auto ids skip it).
 */
import type { SinkRecord } from '../core/destination.ts';

const TIMESTAMP_KEY = Buffer.from('"@timestamp"');
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/** `new Date(ms).toISOString()`, with the part up to the second cached: records of a batch share their second. */
export function isoTimestamp(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** The document id that makes redelivery idempotent. Kafka topic and cluster names need no JSON escaping. */
export function documentId(record: SinkRecord): string {
  return `${record.cluster}:${record.topic}:${record.partition}:${record.offset}`;
}

/** The action line, newline included. Index and id are made of characters that need no JSON escaping. */
export function actionLine(index: string, id: string): string {
  return `{"create":{"_index":"${index}","_id":"${id}"}}\n`;
}

interface Piece {
  action: string;
  /** Text spliced in after the opening brace, or '' */
  splice: string;
  /** The record bytes, in one or two slices around the splice point. */
  head: Buffer;
  tail: Buffer;
}

function piece(index: string, record: SinkRecord): Piece {
  let value = record.value;
  let end = value.length;
  while (end > 0 && isSpace(value[end - 1])) end--;
  if (end !== value.length) value = value.subarray(0, end);
  const action = actionLine(index, documentId(record));
  let start = 0;
  while (start < value.length && isSpace(value[start])) start++;
  // Not an object, or already has @timestamp: sent as it is (the engine rejects a non-object for this item alone).
  if (value[start] !== OPEN_BRACE || value.indexOf(TIMESTAMP_KEY) !== -1) {
    return { action, splice: '', head: value, tail: value.subarray(value.length) };
  }
  let next = start + 1;
  while (next < value.length && isSpace(value[next])) next++;
  const empty = value[next] === CLOSE_BRACE;
  const stamp = `"@timestamp":"${isoTimestamp(record.timestampMs)}"${empty ? '' : ','}`;
  return { action, splice: stamp, head: value.subarray(0, start + 1), tail: value.subarray(start + 1) };
}

/** One bulk request body for records that all go to `index`. */
export function buildBulkBody(index: string, records: readonly SinkRecord[]): Buffer {
  const pieces = records.map((r) => piece(index, r));
  let total = 0;
  // Action lines and timestamps are ASCII: one byte per character.
  for (const p of pieces) total += p.action.length + p.splice.length + p.head.length + p.tail.length + 1;
  const body = Buffer.allocUnsafe(total);
  let off = 0;
  for (const p of pieces) {
    off += body.write(p.action, off, 'latin1');
    off += p.head.copy(body, off);
    off += body.write(p.splice, off, 'latin1');
    off += p.tail.copy(body, off);
    body[off++] = NEWLINE;
  }
  return body;
}
