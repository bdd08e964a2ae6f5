/**
 * Search engine security for real (issue #7): the stack's OpenSearch runs without its
 * security plugin, so the test puts an HTTPS gate in front of it, with a certificate from
 * a CA the test makes, that lets through only the expected `Authorization` header (basic
 * auth or an API key) and answers 401 as Elasticsearch does otherwise. The real sinks talk
 * to the gate with `tls.caFile` and `auth` from the config:
 *  1. opensearch sink, basic auth: every record indexed, exact count, no 401 on the way;
 *  2. elasticsearch sink, API key (through helpers/search-proxy.ts): the same;
 *  3. a wrong password: the sink refuses to start with an error naming the 401, and
 *     nothing reaches the engine; no caFile: the health check names the untrusted certificate.
 */
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@opensearch-project/opensearch';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { sinkSchema } from '../../config/sink.ts';
import { createDestination } from '../../sinks/registry.ts';
import { type RunningSink, startSink } from '../../sinks/runtime/sink-service.ts';
import { compileIndexTemplate } from '../../sinks/search-core/index-name.ts';
import { templateName } from '../../sinks/search-core/index-template.ts';
import { makeTestCertificates, type TestCertificates } from '../../stack/lib/tls-certs.ts';
import { newRun, pipelineConfig, produceRecords } from './helpers/pipeline.ts';
import { type SearchProxy, startSearchProxy } from './helpers/search-proxy.ts';

const BASIC_USER = 'spillway';
const BASIC_PASSWORD = 'it-search-basic-0123456789';
const API_KEY = Buffer.from('it-key-id:it-key-secret-0123456789').toString('base64');

interface Gate {
  url: string;
  /** Requests let through / refused with 401. */
  passed: number;
  refused: number;
  close(): Promise<void>;
}

/** HTTPS in front of `upstream` (plain HTTP); only `authorization === expected` passes. */
async function startGate(certs: TestCertificates, upstream: string, expected: string): Promise<Gate> {
  const target = new URL(upstream);
  const state = { passed: 0, refused: 0 };
  const server = https.createServer(
    { key: fs.readFileSync(certs.keyFile), cert: fs.readFileSync(certs.certFile) },
    (req, res) => {
      if (req.headers.authorization !== expected) {
        state.refused++;
        req.resume();
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="security"' });
        res.end(
          JSON.stringify({
            error: { type: 'security_exception', reason: 'unable to authenticate user' },
            status: 401,
          }),
        );
        return;
      }
      state.passed++;
      const up = fetch(new URL(req.url ?? '/', target), {
        method: req.method,
        headers: Object.fromEntries(
          Object.entries(req.headers)
            .filter(([k]) => !['host', 'authorization', 'connection', 'content-length'].includes(k))
            .map(([k, v]) => [k, String(v)]),
        ),
        body: ['GET', 'HEAD'].includes(req.method ?? 'GET') ? undefined : (req as unknown as ReadableStream),
        duplex: 'half',
      } as RequestInit);
      up.then(async (r) => {
        const headers = Object.fromEntries(
          [...r.headers].filter(([k]) => !['content-encoding', 'content-length', 'transfer-encoding'].includes(k)),
        );
        res.writeHead(r.status, headers);
        res.end(Buffer.from(await r.arrayBuffer()));
      }).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(`gate: ${err.message}`);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get passed() {
      return state.passed;
    },
    get refused() {
      return state.refused;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// The gate forwards to OpenSearch, and the ES client reaches it through search-proxy.ts,
// which speaks to OpenSearch only (a real Elasticsearch from other infrastructure: skipped).
const behindIsOpenSearch = inject('stack').searchEngine === 'opensearch';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-it-search-security-'));
let certs: TestCertificates;
let proxy: SearchProxy;
const gates: Gate[] = [];
const running: RunningSink[] = [];
const runs: string[] = [];
beforeAll(async () => {
  if (!behindIsOpenSearch) return;
  certs = makeTestCertificates(path.join(dir, 'tls'), 'spillway search gate');
  proxy = await startSearchProxy(inject('stack').searchUrl);
});
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
  for (const g of gates.splice(0)) await g.close();
});
afterAll(async () => {
  // What the sinks made: this file's indices and the index templates installed for them.
  const c = new Client({ node: inject('stack').searchUrl });
  try {
    for (const run of runs) {
      await c.indices.delete({ index: `it-sec-${run}-*`, ignore_unavailable: true } as never).catch(() => {});
      const name = templateName(compileIndexTemplate(`it-sec-${run}-{logId}`).pattern);
      await c.transport.request({ method: 'DELETE', path: `/_index_template/${name}` }).catch(() => {});
    }
  } finally {
    await c.close();
  }
  await proxy?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function countIndexed(pattern: string): Promise<number> {
  const c = new Client({ node: inject('stack').searchUrl });
  try {
    await c.indices.refresh({ index: pattern, ignore_unavailable: true } as never);
    return ((await c.count({ index: pattern, ignore_unavailable: true } as never)).body as { count: number }).count;
  } catch {
    return 0;
  } finally {
    await c.close();
  }
}

async function untilIndexed(pattern: string, n: number): Promise<number> {
  const deadline = Date.now() + 60_000;
  let count = await countIndexed(pattern);
  while (Date.now() < deadline && count < n) {
    await new Promise((r) => setTimeout(r, 300));
    count = await countIndexed(pattern);
  }
  return count;
}

const basicHeader = `Basic ${Buffer.from(`${BASIC_USER}:${BASIC_PASSWORD}`).toString('base64')}`;
const fast = { maxWaitMs: 100, commitIntervalMs: 200 };

function searchSink(
  type: 'opensearch' | 'elasticsearch',
  run: string,
  gate: Gate,
  auth: Record<string, string>,
  tls: Record<string, unknown> = { caFile: certs.caFile },
) {
  runs.push(run);
  return {
    type,
    name: `${type}-${run}`,
    nodes: [gate.url],
    indexTemplate: `it-sec-${run}-{logId}`,
    batch: { lingerMs: 100 },
    auth,
    tls,
  };
}

describe.runIf(behindIsOpenSearch)('search sinks over TLS with credentials', () => {
  it('opensearch, basic auth, caFile: all 400 records indexed, none refused', async () => {
    const run = newRun();
    const gate = await startGate(certs, inject('stack').searchUrl, basicHeader);
    gates.push(gate);
    const sink = searchSink('opensearch', run, gate, { username: BASIC_USER, password: BASIC_PASSWORD });
    const config = pipelineConfig({ run, logIds: [`a-${run}`], sinks: [sink] });
    await produceRecords(
      config,
      Array.from({ length: 400 }, (_, seq) => ({ logId: `a-${run}`, seq })),
    );
    running.push(await startSink(config, sink.name, fast));
    expect(await untilIndexed(`it-sec-${run}-*`, 400)).toBe(400);
    expect(gate.refused).toBe(0);
    expect(gate.passed).toBeGreaterThan(0);
  });

  it('elasticsearch, API key, caFile: all 400 records indexed, none refused', async () => {
    const run = newRun();
    const gate = await startGate(certs, proxy.url, `ApiKey ${API_KEY}`);
    gates.push(gate);
    const sink = searchSink('elasticsearch', run, gate, { apiKey: API_KEY });
    const config = pipelineConfig({ run, logIds: [`a-${run}`], sinks: [sink] });
    await produceRecords(
      config,
      Array.from({ length: 400 }, (_, seq) => ({ logId: `a-${run}`, seq })),
    );
    running.push(await startSink(config, sink.name, fast));
    expect(await untilIndexed(`it-sec-${run}-*`, 400)).toBe(400);
    expect(gate.refused).toBe(0);
  });
});

describe.runIf(behindIsOpenSearch)('search sinks with wrong security settings', () => {
  it('a wrong password: the sink does not start, the error names the 401; nothing indexed', async () => {
    const run = newRun();
    const gate = await startGate(certs, inject('stack').searchUrl, basicHeader);
    gates.push(gate);
    const sink = searchSink('opensearch', run, gate, { username: BASIC_USER, password: 'wrong-password-0000' });
    const config = pipelineConfig({ run, logIds: [`a-${run}`], sinks: [sink] });
    await produceRecords(config, [{ logId: `a-${run}`, seq: 0 }]);
    const err = await startSink(config, sink.name, fast).then(
      (s) => {
        running.push(s);
        return undefined;
      },
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /^opensearch sink: installing index template spillway-logs-[0-9a-f]{12}: 401 security_exception: unable to authenticate user$/,
    );
    expect(err?.message).not.toContain('wrong-password-0000');
    expect(gate.passed).toBe(0);
    expect(gate.refused).toBeGreaterThan(0);
    expect(await countIndexed(`it-sec-${run}-*`)).toBe(0);
  });

  it('no caFile: the health check (the real write path) fails naming the untrusted certificate; nothing reaches the engine', async () => {
    const run = newRun();
    const gate = await startGate(certs, inject('stack').searchUrl, basicHeader);
    gates.push(gate);
    // The sink itself starts (an unreachable destination is retryable: records wait in the
    // gutter, none is lost); the health check is what tells the operator why.
    const destination = await createDestination(
      sinkSchema.parse(searchSink('opensearch', run, gate, { username: BASIC_USER, password: BASIC_PASSWORD }, {})),
      { logger: pino({ level: 'silent' }) },
    );
    try {
      await expect(destination.healthCheck(AbortSignal.timeout(30_000))).rejects.toThrow(
        // The gate sends its certificate without the CA, so Node cannot build a chain to any root it trusts.
        /^opensearch health check failed: could not index a probe document into spillway-healthcheck: .*ConnectionError: unable to verify the first certificate/,
      );
    } finally {
      await destination.close();
    }
    expect(gate.passed + gate.refused).toBe(0);
  });
});
