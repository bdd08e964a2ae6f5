/**
 * The agent's uplink client against the real router: what each router answer becomes, and
 * the client-side throttle backing off a router that keeps refusing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UplinkClient } from '../../agent/uplink/uplink-client.ts';
import { validateConfig } from '../../config/load.ts';
import { type RunningRouter, startRouter } from '../../router/service.ts';
import { clusters } from './helpers/kafka.ts';
import { newRun } from './helpers/pipeline.ts';

const TOKEN = 'it-uplink-token-0123456789';
const line = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(o));

describe('agent uplink client', () => {
  const run = newRun();
  let router: RunningRouter;
  beforeAll(async () => {
    const { main, aux } = clusters();
    const config = validateConfig({
      clusters: [
        { name: 'main', brokers: main.brokers },
        { name: 'aux', brokers: aux.brokers },
      ],
      pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
      logIds: [
        { id: `up-${run}`, name: 'up', owner: 'it', importance: 'A', sinks: ['drop'], dedicated: true },
        { id: 'unknown', name: 'unknown', owner: 'it', importance: 'C', sinks: ['drop'] },
      ],
      sinks: [{ type: 'blackhole', name: 'drop' }],
      router: { listen: { port: 0 }, tokens: [{ agent: 'it', token: TOKEN }] },
    });
    router = await startRouter(config, { admission: null });
  });
  afterAll(async () => {
    await router?.close();
  });

  it.each(['zstd', 'gzip', 'none'] as const)(
    'delivers a %s batch and reports malformed lines by number',
    async (compression) => {
      const c = new UplinkClient({ url: router.url, token: TOKEN, compression, requestTimeoutMs: 5_000 });
      const body = await c.encode([
        line({ logId: `up-${run}`, level: 'info', msg: 'a' }),
        Buffer.from('{oops'),
        line({ logId: `up-${run}`, level: 50 }),
      ]);
      const out = await c.send(body, 'CRITICAL');
      expect(out).toMatchObject({ kind: 'ok', accepted: 2, rejected: [{ line: 2 }] });
    },
  );

  it('a wrong token is retryable (a token rotation is fixed on the other side; the batch waits in the spool)', async () => {
    const c = new UplinkClient({
      url: router.url,
      token: 'wrong-token-0123456789',
      compression: 'zstd',
      requestTimeoutMs: 5_000,
    });
    const out = await c.send(await c.encode([line({ logId: `up-${run}`, level: 'info' })]), 'SHEDDABLE');
    expect(out).toEqual({ kind: 'retryable', reason: 'router answered 401: missing or unknown bearer token' });
  });

  it('a body the router refuses in itself (413) is failed', async () => {
    const c = new UplinkClient({ url: router.url, token: TOKEN, compression: 'none', requestTimeoutMs: 5_000 });
    const out = await c.send(Buffer.alloc(9 * 1024 * 1024, 0x20), 'SHEDDABLE');
    expect(out.kind).toBe('failed');
    expect((out as { reason: string }).reason).toMatch(/^router answered 413/);
  });

  it('an unreachable router is retryable, and the throttle then refuses locally', async () => {
    const c = new UplinkClient({
      url: 'http://127.0.0.1:1',
      compression: 'zstd',
      requestTimeoutMs: 1_000,
      random: () => 0.5,
    });
    const body = await c.encode([line({ logId: `up-${run}`, level: 'info' })]);
    const first = await c.send(body, 'SHEDDABLE');
    expect(first.kind).toBe('retryable');
    expect((first as { reason: string }).reason).toMatch(/^router unreachable: /);
    // 1 request, 0 accepts: p = 1/2 -> with rand 0.5 it still attempts; after 2 failures p = 2/3 > 0.5.
    await c.send(body, 'SHEDDABLE');
    expect(c.rejectProbability()).toBeCloseTo(2 / 3, 5);
    expect(await c.send(body, 'SHEDDABLE')).toEqual({
      kind: 'retryable',
      reason: 'throttled locally: the router refused recently (p=0.67)',
    });
  });
});
