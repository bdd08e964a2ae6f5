/**
 * Bulk body micro-benchmark: building the search sinks' NDJSON bulk body from the record
 * bytes (sinks/search-core/bulk-body.ts: action line + raw line, `@timestamp` spliced in)
 * against the obvious alternative, JSON.parse + add `@timestamp` + JSON.stringify per
 * document, on the same pino-shaped records in the same process. Both produce the same
 * documents; the reference is checked to parse to the same objects before timing.
 *
 *   node bench/bulk-body.ts [--records 1000] [--rounds 200] [--runs 5] [--report]
 *
 * `--report` writes the figures to docs/benchmarks.md (section bulk-body).
 */
import { parseArgs } from 'node:util';
import type { SinkRecord } from '../sinks/core/destination.ts';
import { actionLine, buildBulkBody, documentId } from '../sinks/search-core/bulk-body.ts';
import { machineDescription } from './lib/machine.ts';
import { replaceSection } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '200' },
    runs: { type: 'string', default: '5' },
    report: { type: 'boolean', default: false },
  },
});
const RECORDS = Number(opts.records);
const ROUNDS = Number(opts.rounds);
const RUNS = Number(opts.runs);
const INDEX = 'logs-checkout-2026.11.26';

function records(): SinkRecord[] {
  const words = 'checkout payment cart user session order retry timeout cache upstream latency shard'.split(' ');
  return Array.from({ length: RECORDS }, (_, i) => {
    const time = 1_795_000_000_000 + i;
    const line = `{"level":${[30, 30, 40, 50][i % 4]},"time":${time},"pid":4242,"hostname":"web-${i % 8}","logId":"checkout","reqId":"req-${i}","userId":${i * 7},"durationMs":${(i % 977) + 0.5},"msg":"${words[i % 12]} ${words[(i * 7) % 12]} ${words[(i * 5) % 12]} after ${i % 5} retries","err":{"type":"UpstreamError","code":"ETIMEDOUT"}}`;
    return {
      cluster: 'main',
      topic: 'logs.S.error.0',
      partition: 0,
      offset: BigInt(i),
      logId: 'checkout',
      value: Buffer.from(line),
      timestampMs: time,
      attempts: 0,
    };
  });
}

/** The reference: parse every document, add @timestamp, serialise it again. */
function reserialised(index: string, batch: readonly SinkRecord[]): Buffer {
  let body = '';
  for (const r of batch) {
    const doc = JSON.parse(r.value.toString('utf8')) as Record<string, unknown>;
    const out = doc['@timestamp'] === undefined ? { '@timestamp': new Date(r.timestampMs).toISOString(), ...doc } : doc;
    body += `${actionLine(index, documentId(r))}${JSON.stringify(out)}\n`;
  }
  return Buffer.from(body);
}

function docsOf(body: Buffer): unknown[] {
  return body
    .toString()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

function measure(build: (index: string, batch: readonly SinkRecord[]) => Buffer, batch: SinkRecord[]): number {
  for (let i = 0; i < 20; i++) build(INDEX, batch); // warm-up
  const start = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) bytes += build(INDEX, batch).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error('empty bodies');
  return (ROUNDS * batch.length) / seconds;
}

const batch = records();
const same = JSON.stringify(docsOf(buildBulkBody(INDEX, batch))) === JSON.stringify(docsOf(reserialised(INDEX, batch)));
if (!same) throw new Error('the two bodies differ: the benchmark would compare different work');

const raw: number[] = [];
const ref: number[] = [];
for (let run = 0; run < RUNS; run++) {
  raw.push(measure(buildBulkBody, batch));
  ref.push(measure(reserialised, batch));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const avgBytes = batch.reduce((n, r) => n + r.value.length, 0) / batch.length;
const lines = [
  `Bulk body build, ${RECORDS} records of ${avgBytes.toFixed(0)} B per batch, ${ROUNDS} batches per run, median of ${RUNS} runs:`,
  '',
  '| method | records/s |',
  '|---|---|',
  `| bytes concat (sinks/search-core/bulk-body.ts) | ${Math.round(median(raw)).toLocaleString('en-US')} |`,
  `| JSON.parse + JSON.stringify per document | ${Math.round(median(ref)).toLocaleString('en-US')} |`,
  '',
  `Ratio: bytes concat is ${(median(raw) / median(ref)).toFixed(1)}× the re-serialising build.`,
  '',
  `Machine: ${machineDescription()}.`,
];
console.log(lines.join('\n'));
if (opts.report) replaceSection('docs/benchmarks.md', 'bulk-body', `## Search bulk body\n\n${lines.join('\n')}`);
