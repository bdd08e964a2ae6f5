/**
 * Plain-text logs on the real path: the demo's reports file (examples/demo.yaml's own file
 * input, plain-text lines as the sample service writes them, plus a real stack trace)
 * goes agent -> router -> Kafka -> the file sink and arrives in the archive, every line
 * once. And lines an input refuses are never silent: counted exactly in /metrics, in the
 * stop summary, and logged at warn, rate-limited, with the file named.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { startAgent } from '../../agent/service.ts';
import { validateConfig } from '../../config/load.ts';
import { parsePromText } from '../../monitor/scrape.ts';
import { startRouter } from '../../router/service.ts';
import { decompressFile } from '../../sinks/file/compress.ts';
import { startSink } from '../../sinks/runtime/sink-service.ts';
import { clusters, waitFor } from './helpers/kafka.ts';
import { capture } from './helpers/logs.ts';
import { newRun } from './helpers/pipeline.ts';
import { scratch } from './helpers/scratch.ts';

const TOKEN = 'it-text-token-0123456789';
const repo = path.join(import.meta.dirname, '../..');
const { tempDir, opened: open } = scratch('spw-it-text-');

/** examples/demo.yaml with this run's clusters, paths, ports and names: its own agent file input. */
function demoConfig(run: string, dir: string, routerPort: number) {
  const doc = YAML.parse(fs.readFileSync(path.join(repo, 'examples/demo.yaml'), 'utf8'));
  const { main, aux } = clusters();
  const fileInput = doc.agent.inputs.find((i: { type: string }) => i.type === 'file');
  const archive = doc.sinks.find((s: { name: string }) => s.name === 'archive');
  const reports = doc.logIds.find((l: { id: string }) => l.id === 'reports');
  return {
    fileInput,
    config: validateConfig({
      ...doc,
      clusters: [
        { name: 'main', brokers: main.brokers },
        { name: 'aux', brokers: aux.brokers },
      ],
      logIds: [
        { ...reports, id: `reports-${run}`, sinks: [`archive-${run}`], dedicated: true },
        // Not this sink's: other tests' unknown logIds share the hashed topics of this config.
        { id: 'unknown', name: 'unknown', owner: 'it', importance: 'C', sinks: [`drop-${run}`] },
      ],
      sinks: [
        { ...archive, name: `archive-${run}`, directory: path.join(dir, 'archive') },
        { type: 'blackhole', name: `drop-${run}` },
      ],
      router: {
        ...doc.router,
        listen: { host: '127.0.0.1', port: routerPort },
        tokens: [{ agent: 'it', token: TOKEN }],
      },
      agent: {
        ...doc.agent,
        inputs: [{ ...fileInput, include: [path.join(dir, 'demo-logs', '*.log')], defaultLogId: `reports-${run}` }],
        uplink: { ...doc.agent.uplink, url: `http://127.0.0.1:${routerPort}`, token: TOKEN, batch: { lingerMs: 50 } },
        spool: { directory: path.join(dir, 'spool'), fsync: 'always' },
      },
      monitor: { listen: { port: 0 } },
    }),
  };
}

const freePort = () => 20_000 + Math.floor(Math.random() * 10_000);

describe('plain-text logs through the real pipeline', () => {
  it("the demo's reports file arrives in the archive, every line once, the trace as one record", async () => {
    const run = newRun();
    const dir = tempDir();
    const { config, fileInput } = demoConfig(run, dir, freePort());
    // The demo's input as configured, not a test's: text lines, auto format, stack traces joined.
    expect(fileInput).toMatchObject({ format: 'auto', multiline: 'stacktrace', defaultLogId: 'reports' });
    fs.mkdirSync(path.join(dir, 'demo-logs'));
    const file = path.join(dir, 'demo-logs', 'reports.log');
    // As examples/sample-service.ts writes them (SAMPLE_FILE_LOG).
    const lines = Array.from(
      { length: 600 },
      (_, i) => `${new Date(Date.UTC(2026, 10, 30, 13, 0, i % 60)).toISOString()} report step ${i} done`,
    );
    const node = fs.readFileSync(path.join(repo, 'test/fixtures/traces/node.log'), 'utf8');
    const errorRecord = node.slice(
      node.indexOf('2026-11-30T13:28:53.699Z'),
      node.indexOf('2026-11-30T13:28:53.700Z') - 1,
    );
    fs.writeFileSync(file, '');

    const router = await startRouter(config, { admission: null });
    open.push(router);
    const sink = await startSink(config, `archive-${run}`, { maxWaitMs: 100, commitIntervalMs: 500 });
    open.push(sink);
    const { log, lines: logged } = capture();
    const agent = await startAgent(config, { logger: log });
    open.push(agent);
    // The sample service appends while the agent runs (the demo's input starts at the end of
    // a file present at start-up), the trace in the middle, in a few writes.
    for (const part of [lines.slice(0, 150), lines.slice(150, 300), [errorRecord], lines.slice(300)]) {
      fs.appendFileSync(file, `${part.join('\n')}\n`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const archiveDir = path.join(dir, 'archive', `reports-${run}`);
    /** What the archive holds now; a gzip member still being appended reads as not there yet. */
    const archived = () => {
      try {
        return fs
          .readdirSync(archiveDir)
          .flatMap((n) =>
            decompressFile('gzip', fs.readFileSync(path.join(archiveDir, n)))
              .toString()
              .split('\n'),
          )
          .filter((l) => l !== '')
          .map((l) => JSON.parse(l) as { msg: string; level: string; logId: string; time: number });
      } catch {
        return [];
      }
    };
    const distinct = () => new Set(archived().map((r) => r.msg)).size;
    await waitFor('the 601 records in the archive', () => distinct() >= 601, 60_000).catch((err: Error) => {
      const have = new Set(archived().map((r) => r.msg));
      const missing = [...lines, errorRecord].filter((l) => !have.has(l)).map((l) => l.split('\n')[0]);
      throw new Error(`${err.message}; missing ${missing.length}: ${JSON.stringify(missing.slice(0, 5))}`);
    });
    await agent.close();
    open.splice(open.indexOf(agent), 1);
    await sink.close();
    open.splice(open.indexOf(sink), 1);
    // Every line arrived once, nothing else did, and the sink counted exactly what it wrote.
    const records = archived();
    expect(await sink.telemetry.value('spillway_records_delivered_total')).toBe(601);
    expect(records.length).toBe(601);
    const texts = records.filter((r) => r.level === 'info').map((r) => r.msg);
    expect(texts.sort()).toEqual([...lines].sort());
    const errors = records.filter((r) => r.level === 'error').map((r) => r.msg);
    expect(errors).toEqual([errorRecord]);
    expect(errors[0]!.split('\n').length).toBe(10);
    expect(records.every((r) => r.logId === `reports-${run}`)).toBe(true);
    const step7 = records.find((r) => r.msg.endsWith(' report step 7 done'))!;
    expect(step7.time).toBe(Date.UTC(2026, 10, 30, 13, 0, 7));
    const stopped = logged.find((l) => l.msg === 'agent stopped')!;
    expect(stopped).toMatchObject({ shipped: 601, dropped: 0, rejected: 0, rejectedByInput: {} });
  });

  it('refused lines are counted exactly in /metrics and the stop summary, and logged at warn with the file named', async () => {
    const run = newRun();
    const dir = tempDir();
    const routerPort = freePort();
    const { config: base } = demoConfig(run, dir, routerPort);
    fs.mkdirSync(path.join(dir, 'logs'));
    const textFile = path.join(dir, 'logs', 'text.log');
    fs.writeFileSync(textFile, Array.from({ length: 100 }, (_, i) => `plain line ${i}\n`).join(''));
    fs.writeFileSync(path.join(dir, 'logs', 'good.log'), '{"msg":"a"}\n{"msg":"b"}\n{"msg":"c"}\n');
    const config = validateConfig({
      ...base,
      agent: {
        ...base.agent,
        inputs: [
          {
            type: 'file',
            name: 'app-json',
            format: 'json',
            startAt: 'beginning',
            include: [path.join(dir, 'logs', '*.log')],
            defaultLogId: `reports-${run}`,
          },
        ],
      },
    });
    const router = await startRouter(config, { admission: null });
    open.push(router);
    const { log, lines: logged } = capture();
    const agent = await startAgent(config, { logger: log, metricsPort: 0 });
    open.push(agent);
    const scrape = async () =>
      parsePromText(await (await fetch(`${agent.metricsUrl}/metrics`)).text()).filter((s) =>
        s.name.startsWith('spillway_input_'),
      );
    await waitFor('103 lines judged', async () => (await scrape()).reduce((n, s) => n + s.value, 0) >= 103, 30_000);
    expect((await scrape()).map((s) => [s.name, s.labels, s.value])).toEqual([
      ['spillway_input_records_total', { component: 'agent', input: 'app-json' }, 3],
      ['spillway_input_rejected_total', { component: 'agent', input: 'app-json', reason: 'invalid-json' }, 100],
    ]);
    await agent.close();
    open.splice(open.indexOf(agent), 1);

    expect(logged.find((l) => l.msg === 'agent stopped')).toMatchObject({
      shipped: 3,
      rejected: 100,
      rejectedByInput: { 'app-json': { 'invalid-json': 100 } },
    });
    const warns = logged.filter((l) => l.level === 40);
    const oneByOne = warns.filter((l) => String(l.msg).startsWith('line rejected'));
    expect(oneByOne.map((l) => [l.input, l.source, l.kind, l.offset])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [
        'app-json',
        textFile,
        'invalid-json',
        Buffer.byteLength(Array.from({ length: i }, (_, j) => `plain line ${j}\n`).join('')),
      ]),
    );
    expect(warns.find((l) => l.rejected === 95)).toMatchObject({
      input: 'app-json',
      byReason: { 'invalid-json': 95 },
    });
    const whole = warns.filter((l) => String(l.msg).startsWith('every line of'));
    expect(whole.map((l) => [l.source, l.rejected, l.kind])).toEqual([[textFile, 100, 'invalid-json']]);
    expect(String(whole[0]!.msg)).toMatch(
      new RegExp(
        `^every line of ${textFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} in the last \\d+ s was rejected \\(100 lines\\): not JSON: set format: text \\(or auto\\)$`,
      ),
    );
  });
});
