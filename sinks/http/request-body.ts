/**
 * A batch as an HTTP body, built from the record bytes (nothing parsed or re-serialised):
 * `ndjson` is each record's line followed by "\n"; `json` is one array, `[` + lines joined
 * by `,` + `]`. An empty batch is `[]` or the empty body.
 */
import type { SinkRecord } from '../core/destination.ts';

export type HttpFormat = 'json' | 'ndjson';

export const CONTENT_TYPES: Record<HttpFormat, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
};

function trimmed(value: Buffer): Buffer {
  let end = value.length;
  while (end > 0 && (value[end - 1] === 0x0a || value[end - 1] === 0x0d)) end--;
  return end === value.length ? value : value.subarray(0, end);
}

export function requestBody(format: HttpFormat, records: readonly SinkRecord[]): Buffer {
  const lines = records.map((r) => trimmed(r.value));
  if (format === 'ndjson') {
    const parts: Buffer[] = [];
    for (const line of lines) parts.push(line, NEWLINE);
    return Buffer.concat(parts);
  }
  const parts: Buffer[] = [OPEN];
  lines.forEach((line, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(line);
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}

const NEWLINE = Buffer.from('\n');
const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');
