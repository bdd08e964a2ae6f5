/**
 * One suite every sink type passes, against real destinations: OpenSearch (the stack's),
 * Elasticsearch (the ES 9 client through helpers/search-proxy.ts to the same OpenSearch),
 * files in a temp directory, a real node:http server, and the blackhole. Each test gets
 * its own index prefix / directory / server and removes it afterwards. Contents are
 * verified where they land: _count after a refresh, files read back and decompressed,
 * bodies the server received.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { sinkSchema } from '../../config/sink.ts';
import type { BlackholeDestination } from '../../sinks/blackhole/destination.ts';
import type { Destination, SinkRecord, WriteResult } from '../../sinks/core/destination.ts';
import { decompressFile } from '../../sinks/file/compress.ts';
import { EXTENSIONS } from '../../sinks/file/file-naming.ts';
import { createDestination } from '../../sinks/registry.ts';
import { compileIndexTemplate } from '../../sinks/search-core/index-name.ts';
import { templateName } from '../../sinks/search-core/index-template.ts';
import { HEALTHCHECK_INDEX } from '../../sinks/search-core/search-destination.ts';
import { type SearchProxy, startSearchProxy } from './helpers/search-proxy.ts';

const logger = pino({ level: 'silent' });
const LOG_ID = 'checkout';
const signal = () => AbortSignal.timeout(30_000);

/** A port nothing listens on: bind one, note it, close it. */
async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function makeRecords(count: number, firstOffset: number, timestampMs = Date.now()): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = firstOffset + i;
    return {
      cluster: 'main',
      topic: 'logs.S.error.0',
      partition: 0,
      offset: BigInt(seq),
      logId: LOG_ID,
      value: Buffer.from(
        JSON.stringify({
          level: 50,
          time: timestampMs,
          logId: LOG_ID,
          host: 'web-1',
          msg: `payment failed ${seq}`,
          seq,
        }),
      ),
      timestampMs,
      attempts: 0,
    };
  });
}

async function writeAll(d: Destination, records: SinkRecord[]): Promise<WriteResult> {
  return d.write(d.keyOf(records[0]!), records, signal());
}

/** One sink type under test: a fresh destination per test, what it stored, its failure modes. */
interface Harness {
  open(): Promise<Destination>;
  /** The `seq` fields of every record the destination holds, sorted. */
  stored(d: Destination): Promise<number[]>;
  failure(d: Destination): Promise<void>;
  /** A destination whose health check must throw `message`; undefined when nothing can break (blackhole). */
  broken?(): Promise<{ d: Destination; message: RegExp }>;
  cleanup(): Promise<void>;
}

type HarnessFactory = () => Promise<Harness>;

function searchHarness(type: 'opensearch' | 'elasticsearch'): HarnessFactory {
  return async () => {
    const searchUrl = inject('stack').searchUrl;
    const admin = new Client({ node: searchUrl, requestTimeout: 30_000 });
    const proxy: SearchProxy | undefined = type === 'elasticsearch' ? await startSearchProxy(searchUrl) : undefined;
    const prefix = `it-sink-${randomUUID().slice(0, 8)}`;
    const indexTemplate = `${prefix}-{logId}-{yyyy.MM.dd}`;
    const config = (nodes: string[]) => sinkSchema.parse({ type, name: 'it-search', nodes, indexTemplate });
    const indexOf = (r: SinkRecord) => compileIndexTemplate(indexTemplate).indexOf(r.logId, r.timestampMs);
    const count = async (index: string) => {
      await admin.indices.refresh({ index });
      return (await admin.count({ index })).body.count as number;
    };
    return {
      open: () => createDestination(config([proxy?.url ?? searchUrl]), { logger }),
      async stored() {
        await admin.indices.refresh({ index: `${prefix}-*` });
        const total = (await admin.count({ index: `${prefix}-*` })).body.count as number;
        const res = await admin.search({
          index: `${prefix}-*`,
          body: { size: 10_000, _source: ['seq'], sort: [{ seq: 'asc' }] },
        });
        const seqs = res.body.hits.hits.map((h: { _source?: { seq?: number } }) => h._source!.seq!);
        expect(seqs.length).toBe(total);
        return seqs;
      },
      async failure(d) {
        // Redelivery of a written batch (crash before the offset commit): same ids, 409s count as written.
        const batch = makeRecords(3, 0);
        const index = indexOf(batch[0]!);
        expect(await writeAll(d, batch)).toEqual({ kind: 'ok' });
        expect(await writeAll(d, batch)).toEqual({ kind: 'ok' });
        expect(await count(index)).toBe(3);
        const doc = await admin.get({ index, id: 'main:logs.S.error.0:0:1' });
        expect(doc.body._source).toEqual({
          '@timestamp': new Date(batch[1]!.timestampMs).toISOString(),
          ...JSON.parse(batch[1]!.value.toString()),
        });

        // A mapping conflict is that item's failure alone, not retryable, with its exact index.
        const mixed = makeRecords(3, 100);
        mixed[1]!.value = Buffer.from('{"@timestamp":"not a date","msg":"bad"}');
        expect(await writeAll(d, mixed)).toEqual({
          kind: 'partial',
          failed: [
            {
              index: 1,
              retryable: false,
              reason:
                "400 mapper_parsing_exception: failed to parse field [@timestamp] of type [date] in document with id 'main:logs.S.error.0:0:101'. Preview of field's value: 'not a date' (illegal_argument_exception: failed to parse date field [not a date] with format [strict_date_optional_time||epoch_millis])",
            },
          ],
        });
        expect(await count(index)).toBe(5);

        // A closed index: OpenSearch answers 200 with every item 400 index_closed_exception; that
        // is the key failing, and an operator may reopen it: retryable.
        await admin.indices.close({ index });
        expect(await writeAll(d, makeRecords(2, 200))).toEqual({
          kind: 'retryable',
          reason: '400 index_closed_exception: closed',
        });
        await admin.indices.open({ index });

        // Unreachable engine: retryable.
        const down = await createDestination(config([`http://127.0.0.1:${await deadPort()}`]), { logger });
        const result = await writeAll(down, makeRecords(1, 300));
        expect(result.kind).toBe('retryable');
        await down.close();
      },
      async broken() {
        const port = await deadPort();
        const d = await createDestination(config([`http://127.0.0.1:${port}`]), { logger });
        return {
          d,
          message: new RegExp(
            `^${type} health check failed: could not index a probe document into ${HEALTHCHECK_INDEX}: installing index template spillway-logs-[0-9a-f]{12}: ConnectionError`,
          ),
        };
      },
      async cleanup() {
        await admin.indices.delete({ index: `${prefix}-*` }).catch(() => {});
        const pattern = compileIndexTemplate(indexTemplate).pattern;
        await admin.transport
          .request({ method: 'DELETE', path: `/_index_template/${templateName(pattern)}` })
          .catch(() => {});
        await admin.close();
        await proxy?.close();
      },
    };
  };
}

function fileHarness(compression: 'gzip' | 'zstd' | 'none'): HarnessFactory {
  return async () => {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'spw-file-sink-'));
    const config = (dir: string) =>
      sinkSchema.parse({ type: 'file', name: 'it-file', directory: dir, compression, rotateBytes: 64 * 1024 });
    const readAll = async () => {
      const dir = path.join(directory, LOG_ID);
      const names = (await fs.readdir(dir)).sort();
      for (const n of names) expect(n).toMatch(/^\d{4}-\d{2}-\d{2}-\d{2}-\d{4}\.ndjson(\.gz|\.zst)?$/);
      const texts = await Promise.all(
        names.map(async (n) => decompressFile(compression, await fs.readFile(path.join(dir, n)))),
      );
      return {
        names,
        lines: texts.flatMap((t) =>
          t
            .toString()
            .split('\n')
            .filter((l) => l !== ''),
        ),
      };
    };
    return {
      open: () => createDestination(config(directory), { logger }),
      async stored(d) {
        await d.flush?.();
        try {
          const { lines } = await readAll();
          return lines.map((l) => JSON.parse(l).seq as number).sort((a, b) => a - b);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
          throw err;
        }
      },
      async failure(d) {
        // Rotation by size: 64 KiB per file, ~90 B per record.
        expect(await writeAll(d, makeRecords(1000, 0))).toEqual({ kind: 'ok' });
        for (let i = 1; i < 5; i++) expect(await writeAll(d, makeRecords(1000, i * 1000))).toEqual({ kind: 'ok' });
        await d.flush?.();
        const { names, lines } = await readAll();
        expect(names.length).toBe(5);
        expect(names.every((n) => n.endsWith(EXTENSIONS[compression]))).toBe(true);
        expect(lines.length).toBe(5000);

        // A directory that cannot exist (a file is in the way): failed, naming the cause.
        const blocker = path.join(directory, 'not-a-dir');
        await fs.writeFile(blocker, 'x');
        const bad = await createDestination(config(path.join(blocker, 'archive')), { logger });
        const result = await writeAll(bad, makeRecords(1, 0));
        expect(result).toEqual({
          kind: 'failed',
          reason: `writing ${path.join(blocker, 'archive', LOG_ID)}: ENOTDIR: ENOTDIR: not a directory, mkdir '${path.join(blocker, 'archive', LOG_ID)}'`,
        });
        await bad.close();
      },
      async broken() {
        const blocker = path.join(directory, 'blocker');
        await fs.writeFile(blocker, 'x');
        const d = await createDestination(config(path.join(blocker, 'archive')), { logger });
        return {
          d,
          message: new RegExp(
            `^file health check failed: creating ${blocker}/archive: ENOTDIR: ENOTDIR: not a directory`,
          ),
        };
      },
      async cleanup() {
        await fs.rm(directory, { recursive: true, force: true });
      },
    };
  };
}

function httpHarness(format: 'json' | 'ndjson'): HarnessFactory {
  return async () => {
    const bodies: { contentType: string | undefined; auth: string | undefined; body: string }[] = [];
    let answer: { status: number; headers?: Record<string, string>; hang?: boolean } = { status: 200 };
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (answer.hang) return;
        if (answer.status === 200) {
          bodies.push({
            contentType: req.headers['content-type'],
            auth: req.headers.authorization,
            body: Buffer.concat(chunks).toString(),
          });
        }
        res.writeHead(answer.status, answer.headers).end(answer.status === 200 ? '' : 'try later');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`;
    const config = (u: string) =>
      sinkSchema.parse({ type: 'http', name: 'it-http', url: u, format, headers: { Authorization: 'Bearer t0k' } });
    const parse = (body: string): { seq: number }[] =>
      format === 'json'
        ? JSON.parse(body)
        : body
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => JSON.parse(l));
    return {
      open: () => createDestination(config(url), { logger }),
      async stored() {
        for (const b of bodies) {
          expect(b.contentType).toBe(format === 'json' ? 'application/json' : 'application/x-ndjson');
          expect(b.auth).toBe('Bearer t0k');
        }
        return bodies.flatMap((b) => parse(b.body).map((r) => r.seq)).sort((a, b) => a - b);
      },
      async failure(d) {
        answer = { status: 503, headers: { 'retry-after': '7' } };
        expect(await writeAll(d, makeRecords(2, 0))).toEqual({
          kind: 'retryable',
          reason: 'HTTP 503: try later',
          retryAfterMs: 7000,
        });
        answer = { status: 400 };
        expect(await writeAll(d, makeRecords(2, 0))).toEqual({ kind: 'failed', reason: 'HTTP 400: try later' });
        answer = { status: 200, hang: true };
        const r = await d.write(url, makeRecords(2, 0), AbortSignal.timeout(200));
        expect(r).toEqual({ kind: 'retryable', reason: `POST ${url}: request aborted (timeout)` });
        answer = { status: 200 };
        expect(bodies.length).toBe(0);
      },
      async broken() {
        const port = await deadPort();
        const d = await createDestination(config(`http://127.0.0.1:${port}/ingest`), { logger });
        return {
          d,
          message: new RegExp(
            `^http health check failed: POST of an empty batch to http://127.0.0.1:${port}/ingest: POST http://127.0.0.1:${port}/ingest: fetch failed \\(ECONNREFUSED\\)$`,
          ),
        };
      },
      async cleanup() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  };
}

const blackholeHarness: HarnessFactory = async () => ({
  open: () => createDestination(sinkSchema.parse({ type: 'blackhole', name: 'it-blackhole' }), { logger }),
  async stored(d) {
    const n = (d as BlackholeDestination).counts().records;
    return Array.from({ length: n }, (_, i) => i);
  },
  async failure(d) {
    expect(await d.write('blackhole', makeRecords(1, 0), AbortSignal.abort())).toEqual({
      kind: 'retryable',
      reason: 'aborted',
    });
  },
  async cleanup() {},
});

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe.each<[string, HarnessFactory, { exactSeqs: boolean }]>([
  ['opensearch', searchHarness('opensearch'), { exactSeqs: true }],
  ['elasticsearch (ES 9 client via proxy to OpenSearch)', searchHarness('elasticsearch'), { exactSeqs: true }],
  ['file gzip', fileHarness('gzip'), { exactSeqs: true }],
  ['file zstd', fileHarness('zstd'), { exactSeqs: true }],
  ['file none', fileHarness('none'), { exactSeqs: true }],
  ['http ndjson', httpHarness('ndjson'), { exactSeqs: true }],
  ['http json', httpHarness('json'), { exactSeqs: true }],
  ['blackhole', blackholeHarness, { exactSeqs: false }],
])('sink type %s', (_name, makeHarness) => {
  let h: Harness;
  let d: Destination;
  beforeEach(async () => {
    h = await makeHarness();
    d = await h.open();
  });
  afterEach(async () => {
    await d.close();
    await h.cleanup();
  });

  it('opens, passes its health check, closes', async () => {
    await d.healthCheck(signal());
    expect(await h.stored(d)).toEqual([]);
  });

  it('writes one batch', async () => {
    expect(await writeAll(d, makeRecords(10, 0))).toEqual({ kind: 'ok' });
    expect(await h.stored(d)).toEqual(range(0, 10));
  });

  it('writes 10,000 records sequentially in batches of 500', async () => {
    for (let i = 0; i < 20; i++) expect(await writeAll(d, makeRecords(500, i * 500))).toEqual({ kind: 'ok' });
    expect(await h.stored(d)).toEqual(range(0, 10_000));
  });

  it('writes 8 batches concurrently', async () => {
    const results = await Promise.all(range(0, 8).map((i) => writeAll(d, makeRecords(250, i * 250))));
    expect(results).toEqual(range(0, 8).map(() => ({ kind: 'ok' })));
    expect(await h.stored(d)).toEqual(range(0, 2000));
  });

  it('reports failures exactly', async () => {
    await h.failure(d);
  });

  it('health check throws a clear message on a broken destination (a blackhole cannot break: it passes)', async () => {
    if (!h.broken) {
      await expect(d.healthCheck(signal())).resolves.toBeUndefined();
      return;
    }
    const { d: bad, message } = await h.broken();
    try {
      await expect(bad.healthCheck(signal())).rejects.toThrow(message);
    } finally {
      await bad.close();
    }
  });
});

describe('elasticsearch proxy', () => {
  let proxy: SearchProxy;
  beforeAll(async () => {
    proxy = await startSearchProxy(inject('stack').searchUrl);
  });
  afterAll(() => proxy.close());
  it('is what the ES client talks to (it never reaches OpenSearch directly)', async () => {
    const d = await createDestination(
      sinkSchema.parse({ type: 'elasticsearch', name: 'it-es', nodes: [proxy.url], indexTemplate: 'it-proxy-{logId}' }),
      { logger },
    );
    await d.healthCheck(signal());
    expect(proxy.requests).toBeGreaterThanOrEqual(3);
    await d.close();
    const admin = new Client({ node: inject('stack').searchUrl });
    await admin.transport.request({ method: 'DELETE', path: `/_index_template/${templateName('it-proxy-*')}` });
    await admin.close();
  });
});
