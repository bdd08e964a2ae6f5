/**
 * The router against both real Kafka clusters: exact placement of 50 logIds' records,
 * per-line rejection, fallback, auth, body limits, encodings, deadlines, and a dead
 * cluster failing only its own records.
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClusterOf } from '../../config/cluster.ts';
import { validateConfig } from '../../config/load.ts';
import type { SpillwayConfig } from '../../config/schema.ts';
import { type ConsumedRecord, KafkaConsumer } from '../../core/kafka/index.ts';
import { ManualClock } from '../../core/resilience/clock.ts';
import { OverloadLimiter } from '../../core/resilience/overload-limiter.ts';
import { limiterAdmission } from '../../router/admission.ts';
import { FALLBACK_HEADER, place } from '../../router/placement.ts';
import { planPlacement } from '../../router/placement-plan.ts';
import { type RunningRouter, startRouter } from '../../router/service.ts';
import { clusters, waitFor } from './helpers/kafka.ts';
import { startThrowawayKafka, type ThrowawayKafka } from './helpers/throwaway-kafka.ts';

const TOKEN = 'it-router-token-0123456789';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const IMPORTANCES = ['S', 'A', 'B', 'C'] as const;

function routerConfig(run: string, overrides: { auxBrokers?: string[]; quotaLogId?: string } = {}): SpillwayConfig {
  const { main, aux } = clusters();
  const logIds = Array.from({ length: 50 }, (_, i) => ({
    id: `svc${i}-${run}`,
    name: `Service ${i}`,
    owner: 'team-it',
    importance: IMPORTANCES[i % 4],
    sinks: ['drop'],
    // Every fifth logId gets its own topics; the rest share hash buckets.
    dedicated: i % 5 === 0,
    ...(overrides.quotaLogId === `svc${i}-${run}` ? { quota: { recordsPerSec: 10, bytesPerSec: 1_000_000 } } : {}),
  }));
  return validateConfig({
    clusters: [
      { name: 'main', brokers: main.brokers },
      { name: 'aux', brokers: overrides.auxBrokers ?? aux.brokers, connectTimeoutMs: 500, requestTimeoutMs: 2_000 },
    ],
    pools: { S: ['main', 'aux'], A: ['main', 'aux'], B: ['main'], C: ['aux'] },
    logIds: [...logIds, { id: 'unknown', name: 'Unknown', owner: 'platform', importance: 'C', sinks: ['drop'] }],
    sinks: [{ type: 'blackhole', name: 'drop' }],
    router: { listen: { port: 0 }, tokens: [{ agent: 'it', token: TOKEN }], maxBodyBytes: 64 * 1024 },
    agent: { uplink: { batch: { maxBytes: 32 * 1024 } } },
  });
}

async function post(router: RunningRouter, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${router.url}/v1/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
}

/** Reads back every record of this run from all the plan's topics on one cluster. */
async function readBack(
  config: SpillwayConfig,
  cluster: 'main' | 'aux',
  run: string,
  expected: number,
): Promise<ConsumedRecord[]> {
  const topics = planPlacement(config)
    .clusters.find((c) => c.name === cluster)!
    .topics.map((t) => t.name);
  const got: ConsumedRecord[] = [];
  const consumer = new KafkaConsumer(kafkaClusterOf(config.clusters.find((c) => c.name === cluster)!), {
    clientId: 'it-router-readback',
    groupId: `it.readback.${randomUUID()}`,
    topics,
    onBatch: (b) => {
      for (const r of b.records) if (r.value?.includes(run)) got.push(r);
    },
  });
  await consumer.start();
  try {
    await waitFor(`${expected} records of run ${run} on ${cluster}`, () => got.length >= expected, 60_000);
  } finally {
    await consumer.close();
  }
  return got;
}

describe('router gateway', () => {
  const run = randomUUID().slice(0, 8);
  let config: SpillwayConfig;
  let router: RunningRouter;
  beforeAll(async () => {
    config = routerConfig(run);
    router = await startRouter(config);
  });
  afterAll(async () => {
    await router?.close();
  });

  it('places every record of 50 logIds on exactly the cluster, topic and key the plan says', async () => {
    const lines = Array.from({ length: 300 }, (_, seq) => ({
      logId: `svc${seq % 50}-${run}`,
      level: LEVELS[seq % 6]!,
      host: `host-${seq % 3}`,
      msg: `placement ${run}`,
      seq,
    }));
    const res = await post(router, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: 300, rejected: [], retry: [], fallback: 0 });

    const want = lines.map((l) => ({ seq: l.seq, ...place(l, config) }));
    const onMain = want.filter((w) => w.cluster === 'main').length;
    expect(onMain).toBeGreaterThan(0);
    expect(onMain).toBeLessThan(300);
    const got = [
      ...(await readBack(config, 'main', run, onMain)),
      ...(await readBack(config, 'aux', run, 300 - onMain)),
    ];
    expect(got).toHaveLength(300);
    const bySeq = new Map(got.map((r) => [JSON.parse(r.value!.toString()).seq as number, r]));
    for (const w of want) {
      const r = bySeq.get(w.seq)!;
      expect({ seq: w.seq, topic: r.topic, key: r.key?.toString() }).toEqual({
        seq: w.seq,
        topic: w.topic,
        key: w.key,
      });
    }
    // The bytes in Kafka are the agent's line, not a re-serialisation, with no headers.
    expect(bySeq.get(7)!.value!.toString()).toBe(JSON.stringify(lines[7]));
    expect(got.filter((r) => r.headers.length > 0)).toEqual([]);
  });

  it('puts an ERROR and an INFO record of the same logId on different topics', () => {
    const err = place({ logId: `svc1-${run}`, level: 'error' }, config);
    const info = place({ logId: `svc1-${run}`, level: 'info' }, config);
    expect(err.cluster).toBe(info.cluster);
    expect(err.topic).not.toBe(info.topic);
    expect(err.topic).toMatch(/\.error\./);
    expect(info.topic).toMatch(/\.info\./);
  });

  it('rejects malformed lines one by one and accepts the rest', async () => {
    const body = [
      JSON.stringify({ logId: `svc2-${run}`, level: 'info', msg: `ok ${run}` }),
      '{"logId": "x", "level": ',
      JSON.stringify([1, 2]),
      JSON.stringify({ level: 'info' }),
      JSON.stringify({ logId: `svc2-${run}`, level: 'verbose' }),
      '',
      JSON.stringify({ logId: `svc3-${run}`, level: 50, msg: `ok ${run}` }),
    ].join('\n');
    const res = await post(router, Buffer.concat([Buffer.from(body), Buffer.from('\n\xff\xfe\n', 'latin1')]));
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.retry).toEqual([]);
    expect(res.body.rejected).toEqual([
      { line: 2, reason: expect.stringMatching(/^not valid JSON: /) },
      { line: 3, reason: 'expected a JSON object, found an array' },
      { line: 4, reason: 'logId: expected a string of 1-64 letters, digits, "_", "." or "-", found nothing' },
      {
        line: 5,
        reason:
          'level: expected one of trace, debug, info, warn, error, fatal or a pino number 10..60, found "verbose"',
      },
      { line: 8, reason: 'invalid UTF-8' },
    ]);
    expect(
      await router.telemetry.value('spillway_records_dropped_total', { reason: 'malformed', criticality: 'unknown' }),
    ).toBeGreaterThanOrEqual(5);
  });

  it('places an unknown logId as the fallback logId and counts it', async () => {
    const before = await router.telemetry.value('spillway_records_fallback_total');
    const res = await post(router, `${JSON.stringify({ logId: `nobody-${run}`, level: 'warn', host: 'h1' })}\n`);
    expect(res.body).toEqual({ accepted: 1, rejected: [], retry: [], fallback: 1 });
    expect(await router.telemetry.value('spillway_records_fallback_total')).toBe(before + 1);
    const at = place({ logId: `nobody-${run}`, level: 'warn', host: 'h1' }, config);
    expect(at).toMatchObject({ logId: 'unknown', fallback: true, key: `nobody-${run}|h1` });
    // Marked, so sinks keep it with the fallback logId's sinks even once a reload configures it.
    const [rec] = await readBack(config, at.cluster as 'main' | 'aux', `nobody-${run}`, 1);
    expect({ topic: rec!.topic, headers: rec!.headers }).toEqual({
      topic: at.topic,
      headers: [[FALLBACK_HEADER, Buffer.from('1')]],
    });
  });

  it('accepts gzip and zstd bodies and refuses an unknown encoding with 415', async () => {
    const line = Buffer.from(`${JSON.stringify({ logId: `svc4-${run}`, level: 'info' })}\n`);
    expect((await post(router, await promisify(zlib.gzip)(line), { 'content-encoding': 'gzip' })).body.accepted).toBe(
      1,
    );
    expect((await post(router, zlib.zstdCompressSync(line), { 'content-encoding': 'zstd' })).body.accepted).toBe(1);
    const res = await post(router, line, { 'content-encoding': 'br' });
    expect(res).toMatchObject({
      status: 415,
      body: { error: 'unsupported Content-Encoding "br": use gzip, zstd or identity' },
    });
    const broken = await post(router, Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(broken.status).toBe(400);
  });

  it('answers 401 without a valid bearer token and 413 beyond maxBodyBytes', async () => {
    const line = `${JSON.stringify({ logId: `svc4-${run}`, level: 'info' })}\n`;
    expect((await post(router, line, { authorization: '' })).status).toBe(401);
    const wrong = await post(router, line, { authorization: 'Bearer it-router-token-0123456788' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="spillway"');
    const big = line.repeat(Math.ceil((70 * 1024) / line.length));
    expect(await post(router, big)).toMatchObject({
      status: 413,
      body: { error: `body of ${big.length} bytes exceeds router.maxBodyBytes (65536)` },
    });
    // A gzip bomb: small on the wire, past the decoded limit (16 x maxBodyBytes).
    const bomb = await promisify(zlib.gzip)(Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(await post(router, bomb, { 'content-encoding': 'gzip' })).toMatchObject({
      status: 413,
      body: { error: 'decoded body exceeds 1048576 bytes' },
    });
  });

  it('does not produce work whose deadline has passed (504)', async () => {
    const res = await post(router, `${JSON.stringify({ logId: `svc5-${run}`, level: 'info', msg: `late ${run}` })}\n`, {
      'x-spillway-deadline-ms': '0',
    });
    expect(res).toMatchObject({
      status: 504,
      body: { error: 'the request deadline passed before its records could be produced' },
    });
  });

  it('serves /healthz, /readyz with per-cluster state, and /metrics', async () => {
    expect(await (await fetch(`${router.url}/healthz`)).text()).toBe('ok\n');
    const ready = await fetch(`${router.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, draining: false, clusters: { main: 'ok', aux: 'ok' } });
    const metrics = await (await fetch(`${router.url}/metrics`)).text();
    expect(metrics).toMatch(/spillway_records_sent_total\{component="router",cluster="main"\} \d+/);
  });
});

describe('router with one cluster down', () => {
  const run = randomUUID().slice(0, 8);
  let config: SpillwayConfig;
  let router: RunningRouter;
  beforeAll(async () => {
    // Nothing listens on 127.0.0.1:1: the aux cluster is down for this router.
    config = routerConfig(run, { auxBrokers: ['127.0.0.1:1'] });
    router = await startRouter(config);
  });
  afterAll(async () => {
    await router?.close();
  });

  it("fails only the dead cluster's records, as retryable, and acknowledges the rest", async () => {
    const lines = Array.from({ length: 40 }, (_, seq) => ({
      logId: `svc${seq}-${run}`,
      level: 'error' as const,
      msg: `split ${run}`,
      seq,
    }));
    const dead = lines.filter((l) => place(l, config).cluster === 'aux').map((l) => l.seq + 1);
    expect(dead.length).toBeGreaterThan(0);
    const res = await post(router, lines.map((l) => JSON.stringify(l)).join('\n'), {
      'x-spillway-deadline-ms': '3000',
    });
    expect(res.status).toBe(207);
    expect(res.body.accepted).toBe(40 - dead.length);
    expect(res.body.retry.map((r: { line: number }) => r.line)).toEqual(dead);
    expect(res.body.retry[0]).toEqual({
      line: dead[0],
      reason: expect.stringMatching(/^kafka cluster "aux": /),
      retryAfterMs: 1000,
    });
    expect(res.headers.get('retry-after')).toBe('1');
    const got = await readBack(config, 'main', run, 40 - dead.length);
    expect(got.map((r) => JSON.parse(r.value!.toString()).seq + 1).sort((a, b) => a - b)).toEqual(
      lines.map((l) => l.seq + 1).filter((n) => !dead.includes(n)),
    );
    const ready = (await (await fetch(`${router.url}/readyz`)).json()) as {
      ready: boolean;
      clusters: Record<string, string>;
    };
    expect(ready.ready).toBe(true);
    expect(ready.clusters.main).toBe('ok');
    expect(ready.clusters.aux).toMatch(/^provisioning|^failing/);
  });
});

describe('router under overload', () => {
  const run = randomUUID().slice(0, 8);
  const clock = new ManualClock(1_000_000);
  // Capacity learnt from a warm-up at low CPU: 4 passes of 100 ms in one 100 ms bucket
  // => maxInFlight = ceil(4 x 10/s x 0.1 s) = 4. Then CPU is pinned above the threshold.
  let cpu = 0.1;
  const limiter = new OverloadLimiter({ cpu: () => cpu, clock });
  let config: SpillwayConfig;
  let router: RunningRouter;
  const held: { done(): void }[] = [];
  beforeAll(async () => {
    const warm = Array.from({ length: 4 }, () => limiter.tryAcquire('CRITICAL_PLUS'));
    clock.advance(100);
    for (const t of warm) if (t.ok) t.done();
    clock.advance(100);
    expect(limiter.maxInFlight()).toBe(4);
    cpu = 0.95;
    config = routerConfig(run);
    router = await startRouter(config, { admission: limiterAdmission(limiter) });
  });
  afterAll(async () => {
    for (const t of held) t.done();
    await router?.close();
  });

  /** Keeps `n` requests in flight on the limiter, as slow batches would. */
  function holdInFlight(n: number): void {
    while (held.length < n) {
      const t = limiter.tryAcquire('CRITICAL_PLUS');
      if (!t.ok) throw new Error('could not hold a slot');
      held.push(t);
    }
  }

  // svc<i>: importance S, A, B, C for i % 4 = 0, 1, 2, 3.
  const batchOf = (importance: number, level: string) =>
    `${JSON.stringify({ logId: `svc${4 + importance}-${run}`, level, msg: `overload ${run}` })}\n`;
  const CASES = {
    SHEDDABLE: batchOf(3, 'error'),
    SHEDDABLE_PLUS: batchOf(2, 'error'),
    CRITICAL: batchOf(1, 'error'),
    CRITICAL_PLUS: batchOf(0, 'error'),
  } as const;

  async function statuses(): Promise<Record<keyof typeof CASES, number>> {
    const out = {} as Record<keyof typeof CASES, number>;
    for (const [c, body] of Object.entries(CASES)) out[c as keyof typeof CASES] = (await post(router, body)).status;
    return out;
  }

  it('sheds SHEDDABLE first, then SHEDDABLE_PLUS, CRITICAL, and CRITICAL_PLUS last, with 503 + Retry-After and exact counts', async () => {
    holdInFlight(5);
    expect(await statuses()).toEqual({ SHEDDABLE: 503, SHEDDABLE_PLUS: 200, CRITICAL: 200, CRITICAL_PLUS: 200 });
    holdInFlight(6);
    expect(await statuses()).toEqual({ SHEDDABLE: 503, SHEDDABLE_PLUS: 503, CRITICAL: 200, CRITICAL_PLUS: 200 });
    holdInFlight(7);
    expect(await statuses()).toEqual({ SHEDDABLE: 503, SHEDDABLE_PLUS: 503, CRITICAL: 503, CRITICAL_PLUS: 200 });
    holdInFlight(9);
    const shed = await post(router, CASES.CRITICAL_PLUS);
    expect(shed).toMatchObject({
      status: 503,
      body: { error: 'overloaded: shedding CRITICAL_PLUS batches', retryAfterMs: 1000 },
    });
    expect(shed.headers.get('retry-after')).toBe('1');

    const dropped = (criticality: string) =>
      router.telemetry.value('spillway_records_dropped_total', { reason: 'overload', criticality });
    expect([
      await dropped('SHEDDABLE'),
      await dropped('SHEDDABLE_PLUS'),
      await dropped('CRITICAL'),
      await dropped('CRITICAL_PLUS'),
    ]).toEqual([3, 2, 1, 1]);
    expect(limiter.stats().dropped.overload).toEqual({
      SHEDDABLE: 3,
      SHEDDABLE_PLUS: 2,
      CRITICAL: 1,
      CRITICAL_PLUS: 1,
    });
  });
});

describe('router quotas', () => {
  const run = randomUUID().slice(0, 8);
  let config: SpillwayConfig;
  let router: RunningRouter;
  beforeAll(async () => {
    // svc6 may send 10 records/s (burst 10, router.quota absent: a local bucket).
    config = routerConfig(run, { quotaLogId: `svc6-${run}` });
    router = await startRouter(config, { admission: null });
  });
  afterAll(async () => {
    await router?.close();
  });

  const line = (i: number, seq: number) =>
    JSON.stringify({ logId: `svc${i}-${run}`, level: 'info', msg: `quota ${run}`, seq });

  it("answers 429 + Retry-After for a logId over its quota, and 207 when other logIds' lines in the batch pass", async () => {
    const first = await post(router, Array.from({ length: 10 }, (_, s) => line(6, s)).join('\n'));
    expect(first).toMatchObject({ status: 200, body: { accepted: 10 } });
    const over = await post(router, Array.from({ length: 5 }, (_, s) => line(6, 10 + s)).join('\n'));
    expect(over.status).toBe(429);
    expect(over.body.accepted).toBe(0);
    expect(over.body.retry).toHaveLength(5);
    expect(over.body.retry[0]).toEqual({
      line: 1,
      reason: `quota: logid-quota for logId "svc6-${run}"`,
      retryAfterMs: expect.any(Number),
    });
    expect(over.body.retry[0].retryAfterMs).toBeGreaterThan(0);
    expect(over.body.retry[0].retryAfterMs).toBeLessThanOrEqual(500);
    expect(over.headers.get('retry-after')).toBe('1');
    const mixed = await post(router, [line(6, 20), line(7, 21), line(8, 22)].join('\n'));
    expect(mixed.status).toBe(207);
    expect(mixed.body).toMatchObject({ accepted: 2, retry: [{ line: 1 }] });
    expect(
      await router.telemetry.value('spillway_records_dropped_total', {
        reason: 'quota',
        criticality: 'SHEDDABLE',
      }),
    ).toBe(6);
  });
});

describe('router when a cluster is killed -9 mid-flight', () => {
  const run = randomUUID().slice(0, 8);
  let doomed: ThrowawayKafka;
  let config: SpillwayConfig;
  let router: RunningRouter;
  beforeAll(async () => {
    doomed = await startThrowawayKafka('doomed');
    config = routerConfig(run, { auxBrokers: doomed.brokers });
    router = await startRouter(config, { admission: null });
  }, 180_000);
  afterAll(async () => {
    await router?.close();
    await doomed?.cleanup();
  });

  it("acknowledges everything while both clusters live, then fails only the killed cluster's lines", async () => {
    const lines = Array.from({ length: 40 }, (_, seq) =>
      JSON.stringify({ logId: `svc${seq}-${run}`, level: 'warn', msg: `kill ${run}`, seq }),
    );
    const onAux = lines
      .map((l, i) => [i + 1, place(JSON.parse(l), config).cluster] as const)
      .filter(([, c]) => c === 'aux')
      .map(([n]) => n);
    expect(onAux.length).toBeGreaterThan(0);
    const before = await post(router, lines.join('\n'));
    expect(before).toMatchObject({ status: 200, body: { accepted: 40, retry: [] } });

    await doomed.kill9();
    const after = await post(router, lines.join('\n'), { 'x-spillway-deadline-ms': '4000' });
    expect(after.status).toBe(207);
    expect(after.body.accepted).toBe(40 - onAux.length);
    expect(after.body.retry.map((r: { line: number }) => r.line)).toEqual(onAux);
    for (const r of after.body.retry) expect(r.reason).toMatch(/^kafka cluster "aux": /);
    const ready = (await (await fetch(`${router.url}/readyz`)).json()) as {
      ready: boolean;
      clusters: Record<string, string>;
    };
    expect(ready.ready).toBe(true);
    expect(ready.clusters).toMatchObject({ main: 'ok', aux: expect.stringMatching(/^failing: /) });
  });
});
