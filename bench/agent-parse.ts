/**
 * Agent parse micro-benchmark: completing a service's JSON line for the router by
 * splicing the missing fields (host, origin) into its bytes (agent/parse/record.ts
 * stampOrigin) against the obvious peer, JSON.stringify of the parsed object with the
 * fields added (stampBySerialising), on the same pino-shaped lines in the same process.
 *
 * Two figures: the stamping step alone (both given the already-parsed object), and the
 * whole per-line judge (UTF-8 check + JSON.parse + logId/level + stamping), since the
 * agent parses every line anyway to validate it. Both outputs are checked to be the same
 * objects before timing. And the plain-text formats of issue #13: the `auto` judge on the
 * same JSON lines (what choosing auto costs a JSON input), and the `text` judge on
 * plain-text lines of the same length with a leading ISO time and a level word.
 *
 *   node bench/agent-parse.ts [--lines 1000] [--rounds 100] [--runs 5] [--report]
 *
 * `--report` writes the figures to docs/benchmarks.md (section agent-parse).
 */
import { parseArgs } from 'node:util';
import { JsonLineJudge } from '../agent/parse/json-lines.ts';
import { LineJudge } from '../agent/parse/line-judge.ts';
import { makeStamp, stampBySerialising, stampOrigin } from '../agent/parse/record.ts';
import { machineDescription } from './lib/machine.ts';
import { replaceSection } from './lib/report.ts';

const { values: opts } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '100' },
    runs: { type: 'string', default: '5' },
    report: { type: 'boolean', default: false },
  },
});
const LINES = Number(opts.lines);
const ROUNDS = Number(opts.rounds);
const RUNS = Number(opts.runs);

const stamp = makeStamp('web-7.eu-west-1a.internal', {
  region: 'eu-west',
  zone: 'eu-west-1a',
  cluster: 'k8s-prod-3',
  appId: 'checkout',
});

function lines(): Buffer[] {
  const words = 'checkout payment cart user session order retry timeout cache upstream latency shard'.split(' ');
  return Array.from({ length: LINES }, (_, i) =>
    Buffer.from(
      `{"level":${[30, 30, 40, 50][i % 4]},"time":${1_795_000_000_000 + i},"pid":4242,"hostname":"web-${i % 8}","logId":"checkout","reqId":"req-${i}","userId":${i * 7},"durationMs":${(i % 977) + 0.5},"msg":"${words[i % 12]} ${words[(i * 7) % 12]} ${words[(i * 5) % 12]} after ${i % 5} retries"}`,
    ),
  );
}

const input = lines();
const parsed = () => input.map((l) => JSON.parse(l.toString()) as Record<string, unknown>);

// Same objects, key order included, or the comparison would be of different work.
const a = parsed();
const b = parsed();
for (let i = 0; i < input.length; i++) {
  const spliced = stampOrigin(input[i]!, a[i]!, stamp, { timeMs: 0 }).toString();
  const ref = stampBySerialising(b[i]!, stamp, { timeMs: 0 }).toString();
  if (JSON.stringify(JSON.parse(spliced)) !== ref) throw new Error(`outputs differ:\n${spliced}\n${ref}`);
}

function rate(fn: () => number): number {
  for (let i = 0; i < 10; i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) bytes += fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (bytes === 0) throw new Error('no output');
  return (ROUNDS * input.length) / seconds;
}

// Step alone: each round stamps fresh parsed objects (the serialising path mutates them).
const objects = Array.from({ length: 12 }, parsed);
let round = 0;
const stepSplice = () => {
  const objs = objects[round++ % objects.length]!;
  let n = 0;
  for (let i = 0; i < input.length; i++) n += stampOrigin(input[i]!, objs[i]!, stamp, { timeMs: 0 }).length;
  return n;
};
const stepSerialise = () => {
  const objs = parsed();
  let n = 0;
  for (let i = 0; i < input.length; i++) n += stampBySerialising(objs[i]!, stamp, { timeMs: 0 }).length;
  return n;
};
const stepParseOnly = () => parsed().length;

const judge = new JsonLineJudge({ stamp });
const utf8 = new TextDecoder('utf-8', { fatal: true });
const wholeSplice = () => {
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const r = judge.judge(input[i]!, 0, 0);
    n += 'bytes' in r ? r.bytes.length : 0;
  }
  return n;
};
const wholeSerialise = () => {
  let n = 0;
  for (let i = 0; i < input.length; i++) {
    const obj = JSON.parse(utf8.decode(input[i]!)) as Record<string, unknown>;
    n += stampBySerialising(obj, stamp, { timeMs: 0 }).length;
  }
  return n;
};

const auto = new LineJudge({ stamp, format: 'auto', defaultLogId: 'checkout' });
const text = new LineJudge({ stamp, format: 'text', defaultLogId: 'checkout' });
const textInput = input.map((l, i) =>
  Buffer.from(
    `${new Date(1_795_000_000_000 + i).toISOString()} ${['INFO', 'INFO', 'WARN', 'ERROR'][i % 4]} ${l
      .toString()
      .slice(40, l.length - 24)
      .replace(/"/g, '')}`,
  ),
);
const judgeAll = (j: LineJudge, lines: Buffer[]) => () => {
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const r = j.judge(lines[i]!, 0, 0);
    n += 'bytes' in r ? r.bytes.length : 0;
  }
  return n;
};
const wholeAuto = judgeAll(auto, input);
const wholeText = judgeAll(text, textInput);

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const r = {
  splice: [] as number[],
  serialise: [] as number[],
  parse: [] as number[],
  ws: [] as number[],
  wr: [] as number[],
  auto: [] as number[],
  text: [] as number[],
};
for (let run = 0; run < RUNS; run++) {
  r.parse.push(rate(stepParseOnly));
  r.splice.push(rate(stepSplice));
  r.serialise.push(rate(stepSerialise));
  r.ws.push(rate(wholeSplice));
  r.wr.push(rate(wholeSerialise));
  r.auto.push(rate(wholeAuto));
  r.text.push(rate(wholeText));
}
// The serialising step's timing includes JSON.parse for fresh objects; subtract it per line.
const perLine = (x: number) => 1e9 / x;
const serialiseNs = perLine(median(r.serialise)) - perLine(median(r.parse));
const spliceNs = perLine(median(r.splice));
const avg = input.reduce((n, l) => n + l.length, 0) / input.length;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const out = [
  `Completing ${LINES} pino lines of ${avg.toFixed(0)} B (adding host and origin, ${stampOrigin(input[0]!, JSON.parse(input[0]!.toString()), stamp, { timeMs: 0 }).length - input[0]!.length} B), ${ROUNDS} rounds per run, median of ${RUNS} runs:`,
  '',
  '| method | ns/line | lines/s |',
  '|---|---|---|',
  `| stamping step: splice into the bytes (stampOrigin) | ${spliceNs.toFixed(0)} | ${fmt(1e9 / spliceNs)} |`,
  `| stamping step: JSON.stringify of the parsed object | ${serialiseNs.toFixed(0)} | ${fmt(1e9 / serialiseNs)} |`,
  `| whole judge: UTF-8 + JSON.parse + splice (JsonLineJudge) | ${perLine(median(r.ws)).toFixed(0)} | ${fmt(median(r.ws))} |`,
  `| whole judge: UTF-8 + JSON.parse + JSON.stringify | ${perLine(median(r.wr)).toFixed(0)} | ${fmt(median(r.wr))} |`,
  `| whole judge, format auto, the same JSON lines | ${perLine(median(r.auto)).toFixed(0)} | ${fmt(median(r.auto))} |`,
  `| whole judge, format text: plain-text lines of ${(textInput.reduce((n, l) => n + l.length, 0) / textInput.length).toFixed(0)} B (leading ISO time, level word) | ${perLine(median(r.text)).toFixed(0)} | ${fmt(median(r.text))} |`,
  '',
  `Plain text (issue #13): format auto judges a JSON line in ${(median(r.ws) / median(r.auto)).toFixed(2)}× the JSON judge's time${median(r.ws) / median(r.auto) <= 1.05 ? ' (no slower: the difference is within run-to-run noise)' : ''}; a text line takes ${(median(r.ws) / median(r.text)).toFixed(2)}× the time of a JSON line (time and level parsed, the record serialised).`,
  '',
  `Ratio: the splice step is ${(serialiseNs / spliceNs).toFixed(1)}× faster than re-serialising; per whole line, ${(median(r.ws) / median(r.wr)).toFixed(2)}× the lines/s.`,
  '',
  `Machine: ${machineDescription()}.`,
];
console.log(out.join('\n'));
if (opts.report)
  replaceSection('docs/benchmarks.md', 'agent-parse', `## Agent JSON line stamping\n\n${out.join('\n')}`);
