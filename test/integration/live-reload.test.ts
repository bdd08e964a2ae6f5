/**
 * Live config reload on the real stack (issue #14): a router and a sink process's sinks,
 * each with its own ConfigReloader on one config file, as `spillway router` and `spillway
 * sink` run them, reloaded under load.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import YAML from 'yaml';
import { loadConfig, validateConfig } from '../../config/load.ts';
import { ConfigReloader, type ReloadOutcome } from '../../config/reload.ts';
import { Telemetry } from '../../core/telemetry.ts';
import { planPlacement } from '../../router/placement-plan.ts';
import { startRouter } from '../../router/service.ts';
import { SinkSet } from '../../sinks/runtime/sink-set.ts';
import { stackClusterSections, waitFor } from './helpers/kafka.ts';
import { capture } from './helpers/logs.ts';
import { newRun } from './helpers/pipeline.ts';
import { scratch } from './helpers/scratch.ts';

const { opened, tempDir } = scratch('spw-reload-it-');
const TOKEN_1 = 'it-reload-token-one-0123456789';
const TOKEN_2 = 'it-reload-token-two-0123456789';
/** The sinks' bound on records delivered again when one restarts (maxInFlightRecords below). */
const IN_FLIGHT = 500;

type Doc = Record<string, unknown> & {
  logIds: Record<string, unknown>[];
  sinks: Record<string, unknown>[];
  router: { tokens: { agent: string; token: string }[] } & Record<string, unknown>;
};

function baseDoc(run: string, dir: string): Doc {
  return {
    ...stackClusterSections(),
    channels: { dedicatedPartitionsPerTopic: 2 },
    logIds: [
      // Dedicated topics (named by logId), so this run's sinks read only this run's records.
      { id: `fallback-${run}`, name: 'fallback', owner: 'it', importance: 'C', sinks: [`a-${run}`], dedicated: true },
      {
        id: `old-${run}`,
        name: 'old',
        owner: 'it',
        importance: 'A',
        sinks: [`a-${run}`, `c-${run}`],
        dedicated: true,
      },
    ],
    sinks: [fileSink(`a-${run}`, dir), fileSink(`c-${run}`, dir)],
    router: { listen: { port: 0 }, fallbackLogId: `fallback-${run}`, tokens: [{ agent: 'edge', token: TOKEN_1 }] },
  };
}

function fileSink(name: string, dir: string): Record<string, unknown> {
  return {
    type: 'file',
    name,
    directory: path.join(dir, name),
    compression: 'none',
    // One write at a time: the archive's line order is then the delivery order, which the
    // placement-move test checks.
    concurrency: 1,
    maxInFlightRecords: IN_FLIGHT,
    batch: { maxRecords: 200, lingerMs: 50 },
  };
}

/** What a file sink archived for one logId, in delivery order. */
function archived(dir: string, sink: string, logId: string): { seq: number; host: string; logId: string }[] {
  const d = path.join(dir, sink, logId);
  if (!fs.existsSync(d)) return [];
  return fs
    .readdirSync(d)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .flatMap((n) => fs.readFileSync(path.join(d, n), 'utf8').split('\n'))
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

async function startAll(file: string, options: { drainQuietMs?: number } = {}) {
  const config = await loadConfig(file);
  const routerLog = capture();
  const router = await startRouter(config, { admission: null, logger: routerLog.log });
  opened.push(router);
  const sinkTelemetry = new Telemetry('sink');
  const sinkLog = capture();
  const sinks = new SinkSet(config, {
    telemetry: sinkTelemetry,
    logger: sinkLog.log,
    maxWaitMs: 100,
    commitIntervalMs: 200,
    drainQuietMs: options.drainQuietMs ?? 2_000,
  });
  await sinks.start();
  opened.push(sinks);
  const routerReload = new ConfigReloader({
    file,
    component: 'router',
    current: config,
    apply: (next) => router.reconfigure(next),
    telemetry: router.telemetry,
    log: routerLog.log,
  });
  const sinkReload = new ConfigReloader({
    file,
    component: 'sink',
    current: config,
    apply: (next) => sinks.reconfigure(next),
    telemetry: sinkTelemetry,
    log: sinkLog.log,
  });
  return { config, router, sinks, routerReload, sinkReload, sinkTelemetry, routerLog, sinkLog };
}

async function post(url: string, token: string, lines: object[]): Promise<number> {
  const res = await fetch(`${url}/v1/batches`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body: lines.map((l) => `${JSON.stringify(l)}\n`).join(''),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends `count` records of `logId` (seq from `from`) in batches of `per` until done or stopped; each batch retried until 200. */
function load(url: string, token: () => string, logId: string, from: number, count: number, per = 50, pauseMs = 5) {
  let stop = false;
  let sent = 0;
  const done = (async () => {
    for (let seq = from; seq < from + count && !stop; seq += per) {
      const batch = Array.from({ length: Math.min(per, from + count - seq) }, (_, i) => ({
        logId,
        level: 'info',
        host: 'h1',
        seq: seq + i,
        msg: `record ${seq + i}`,
      }));
      for (;;) {
        const status = await post(url, token(), batch);
        if (status === 200) break;
        if (status !== 401 && status !== 503 && status !== 207) throw new Error(`router answered ${status}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      sent += batch.length;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  })();
  return {
    done,
    get sent() {
      return sent;
    },
    stop() {
      stop = true;
    },
  };
}

function expectExactlyOnce(records: { seq: number }[], from: number, count: number, maxDuplicates: number) {
  const seen = new Map<number, number>();
  for (const r of records) seen.set(r.seq, (seen.get(r.seq) ?? 0) + 1);
  const missing = Array.from({ length: count }, (_, i) => from + i).filter((s) => !seen.has(s));
  expect(missing).toEqual([]);
  expect(seen.size).toBe(count);
  expect(records.length - seen.size).toBeLessThanOrEqual(maxDuplicates);
}

describe('live config reload (router + sinks, real Kafka)', () => {
  it('a logId and a sink added under load arrive; the old logId loses and repeats nothing; the rotated token replaces the old one', async () => {
    const run = newRun();
    const dir = tempDir();
    const file = path.join(dir, 'spillway.yaml');
    const doc = baseDoc(run, dir);
    fs.writeFileSync(file, YAML.stringify(doc));
    const s = await startAll(file);
    const sinkA = s.sinks.running.find((x) => x.name === `a-${run}`)!;
    const sinkC = s.sinks.running.find((x) => x.name === `c-${run}`)!;

    let token = TOKEN_1;
    const old = load(s.router.url, () => token, `old-${run}`, 0, 4_000);
    await waitFor('some old records archived', () => archived(dir, `a-${run}`, `old-${run}`).length >= 500, 60_000);

    // The new config: logId new-<run> for a new sink b-<run> (and for a), the token rotated.
    doc.sinks.push(fileSink(`b-${run}`, dir));
    doc.logIds.push({
      id: `new-${run}`,
      name: 'new',
      owner: 'it',
      importance: 'S',
      sinks: [`b-${run}`, `a-${run}`],
      dedicated: true,
    });
    doc.router.tokens = [{ agent: 'edge', token: TOKEN_2 }];
    fs.writeFileSync(file, YAML.stringify(doc));
    // Routers first: they create the new logId's topics before anything is placed there.
    expect(await s.routerReload.reload()).toEqual<ReloadOutcome>({
      result: 'applied',
      changed: [`logIds[new-${run}]`, 'router.tokens', `sinks[b-${run}]`],
    });
    expect(await s.sinkReload.reload()).toMatchObject({ result: 'applied' });
    // After the reload the old token is refused and the new one accepted.
    const line = [{ logId: `new-${run}`, level: 'info', host: 'h1', seq: 0, msg: 'first new' }];
    expect(await post(s.router.url, TOKEN_1, line)).toBe(401);
    token = TOKEN_2;
    expect(await post(s.router.url, TOKEN_2, line)).toBe(200);
    const fresh = load(s.router.url, () => token, `new-${run}`, 1, 999);

    await Promise.all([old.done, fresh.done]);
    await waitFor(
      'every record archived',
      () =>
        new Set(archived(dir, `a-${run}`, `old-${run}`).map((r) => r.seq)).size === 4_000 &&
        new Set(archived(dir, `c-${run}`, `old-${run}`).map((r) => r.seq)).size === 4_000 &&
        new Set(archived(dir, `b-${run}`, `new-${run}`).map((r) => r.seq)).size === 1_000 &&
        new Set(archived(dir, `a-${run}`, `new-${run}`).map((r) => r.seq)).size === 1_000,
      90_000,
    );
    // Sink c's logIds and topics did not change: it never restarted, so nothing was repeated.
    expect(s.sinks.running.find((x) => x.name === `c-${run}`)).toBe(sinkC);
    expectExactlyOnce(archived(dir, `c-${run}`, `old-${run}`), 0, 4_000, 0);
    // Sink a gained the new logId's topics: it restarted once (in-flight writes finished and
    // were committed first), so at most its in-flight records were delivered again.
    expect(s.sinks.running.find((x) => x.name === `a-${run}`)).not.toBe(sinkA);
    expectExactlyOnce(archived(dir, `a-${run}`, `old-${run}`), 0, 4_000, IN_FLIGHT);
    expectExactlyOnce(archived(dir, `a-${run}`, `new-${run}`), 0, 1_000, 0);
    expectExactlyOnce(archived(dir, `b-${run}`, `new-${run}`), 0, 1_000, 0);
    expect(s.sinks.running.map((x) => x.name).sort()).toEqual([`a-${run}`, `b-${run}`, `c-${run}`]);

    // A broken file is refused by both; the router and the sinks keep serving on the last config.
    fs.writeFileSync(file, `${YAML.stringify(doc)}\nlogIds: [unclosed\n`);
    const r1 = await s.routerReload.reload();
    expect(r1.result).toBe('invalid');
    expect(r1.error).toContain('invalid YAML');
    expect((await s.sinkReload.reload()).result).toBe('invalid');
    const badValue = structuredClone(doc);
    badValue.logIds[1]!.importance = 'Z';
    fs.writeFileSync(file, YAML.stringify(badValue));
    const r2 = await s.routerReload.reload();
    expect(r2.result).toBe('invalid');
    expect(r2.error).toContain('logIds[1].importance');
    expect(await post(s.router.url, TOKEN_2, [{ ...line[0], seq: 5_000, msg: 'after refusal' }])).toBe(200);
    await waitFor(
      'the record sent after the refusal archived',
      () => archived(dir, `b-${run}`, `new-${run}`).some((r) => r.seq === 5_000),
      30_000,
    );
    expect(await s.router.telemetry.value('spillway_config_reloads_total', { result: 'invalid' })).toBe(2);
    expect(await s.router.telemetry.value('spillway_config_last_reload_successful')).toBe(0);
    expect(await s.sinkTelemetry.value('spillway_config_reloads_total', { result: 'applied' })).toBe(1);

    // A key only a restart can apply is refused, naming it; nothing of that file applies.
    const moved = structuredClone(doc);
    (moved.clusters as { brokers: string[] }[])[1]!.brokers = ['127.0.0.1:29999'];
    moved.router.tokens = [{ agent: 'edge', token: TOKEN_1 }];
    fs.writeFileSync(file, YAML.stringify(moved));
    const r3 = await s.routerReload.reload();
    expect(r3.result).toBe('restart-required');
    expect(r3.error).toBe(
      "clusters[aux].brokers changed: restart the router to apply it (the router's Kafka connections are opened at start)",
    );
    expect(await post(s.router.url, TOKEN_1, line)).toBe(401);
  });

  it('a sink that cannot start on the new config stays on its previous one; the reload is failed and the other sinks run on', async () => {
    const run = newRun();
    const dir = tempDir();
    const file = path.join(dir, 'spillway.yaml');
    const doc = baseDoc(run, dir);
    const search = { type: 'opensearch', name: `os-${run}`, nodes: [inject('stack').searchUrl] };
    doc.sinks.push(search);
    (doc.logIds[1] as { sinks: string[] }).sinks.push(`os-${run}`);
    fs.writeFileSync(file, YAML.stringify(doc));
    const s = await startAll(file);
    const before = s.sinks.running.find((x) => x.name === `os-${run}`)!;
    const sinkA = s.sinks.running.find((x) => x.name === `a-${run}`)!;
    // A CA file that is not there: the search client cannot be built.
    const missing = path.join(dir, 'no-such-ca.pem');
    doc.sinks[doc.sinks.length - 1] = { ...search, tls: { caFile: missing } };
    fs.writeFileSync(file, YAML.stringify(doc));
    const out = await s.sinkReload.reload();
    expect(out.result).toBe('failed');
    expect(out.error).toBe(
      `sink os-${run} did not start on the new config: ENOENT: no such file or directory, open '${missing}'; it runs on its previous config`,
    );
    const after = s.sinks.running.find((x) => x.name === `os-${run}`);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(s.sinks.running.find((x) => x.name === `a-${run}`)).toBe(sinkA);
    const sent = load(s.router.url, () => TOKEN_1, `old-${run}`, 0, 200);
    await sent.done;
    await waitFor(
      'both sinks deliver the 200 records sent after the failed reload',
      async () =>
        (await s.sinkTelemetry.value('spillway_records_delivered_total', { sink: `os-${run}` })) >= 200 &&
        new Set(archived(dir, `a-${run}`, `old-${run}`).map((r) => r.seq)).size === 200,
      60_000,
    );
    expect(await s.sinkTelemetry.value('spillway_config_reloads_total', { result: 'failed' })).toBe(1);
  });

  it('a logId added while its records, sent as unknown, wait on the fallback topic: the fallback sink still delivers them', async () => {
    const run = newRun();
    const dir = tempDir();
    const file = path.join(dir, 'spillway.yaml');
    const doc = baseDoc(run, dir);
    fs.writeFileSync(file, YAML.stringify(doc));
    const config = await loadConfig(file);
    // Only the router first: 20,000 records of a logId not configured yet wait on the fallback
    // topic. (How much of that backlog is still unread when the sink reloads depends on timing;
    // test/unit/sinks/accept.test.ts pins the rule that keeps it at the fallback's sink.)
    const router = await startRouter(config, { admission: null, logger: capture().log });
    opened.push(router);
    const x = `x-${run}`;
    await load(router.url, () => TOKEN_1, x, 0, 20_000, 500).done;
    // x is configured now, for sink b alone; sink a owns the fallback logId. The router takes
    // it first; the sinks, started on the old config, take it at once, with the backlog unread.
    doc.sinks.push(fileSink(`b-${run}`, dir));
    doc.logIds.push({ id: x, name: 'x', owner: 'it', importance: 'B', sinks: [`b-${run}`], dedicated: true });
    fs.writeFileSync(file, YAML.stringify(doc));
    const next = await loadConfig(file);
    await router.reconfigure(next);
    const sinkLog = capture();
    const sinks = new SinkSet(config, {
      telemetry: new Telemetry('sink'),
      logger: sinkLog.log,
      maxWaitMs: 100,
      commitIntervalMs: 200,
    });
    await sinks.start();
    opened.push(sinks);
    await sinks.reconfigure(next);
    await load(router.url, () => TOKEN_1, x, 20_000, 500).done;
    await waitFor(
      'the records sent as unknown at a, the later ones at b',
      () =>
        new Set(archived(dir, `a-${run}`, x).map((r) => r.seq)).size === 20_000 &&
        new Set(archived(dir, `b-${run}`, x).map((r) => r.seq)).size === 500,
      60_000,
    );
    // Each where it was placed, exactly once: the fallback's owner keeps what was written as unknown.
    expectExactlyOnce(archived(dir, `a-${run}`, x), 0, 20_000, 0);
    expectExactlyOnce(archived(dir, `b-${run}`, x), 20_000, 500, 0);
  });

  it('a placement move: the sink drains the old topic before reading the new one, so nothing is lost and one host keeps its order', async () => {
    const run = newRun();
    const dir = tempDir();
    const file = path.join(dir, 'spillway.yaml');
    const doc = baseDoc(run, dir);
    fs.writeFileSync(file, YAML.stringify(doc));
    const s = await startAll(file, { drainQuietMs: 2_000 });
    const logId = `old-${run}`;
    // Paced (about 4 s), so the router is still writing the old topic well after the sink's reload.
    const first = load(s.router.url, () => TOKEN_1, logId, 0, 3_000, 25, 25);
    await waitFor('some records archived', () => archived(dir, `a-${run}`, logId).length >= 200, 60_000);

    // The wrong order on purpose: the sink is told first, while the router still writes
    // the old topic. It must keep reading the old topic rather than switch.
    (doc.logIds[1] as { importance: string }).importance = 'S';
    fs.writeFileSync(file, YAML.stringify(doc));
    expect(await s.sinkReload.reload()).toEqual({ result: 'applied', changed: [`logIds[${logId}].importance`] });
    const waiting = s.sinkLog.lines.find(
      (l) =>
        l.sink === `a-${run}` &&
        l.msg ===
          'reload: placement change; the sink keeps reading the topics leaving its plan until they are drained, then switches',
    );
    expect(waiting?.leaving).toEqual([
      `main/spw.a.error.d-${logId}`,
      `main/spw.a.info.d-${logId}`,
      `main/spw.a.warn.d-${logId}`,
    ]);
    // The sink has caught up with the old topic many times by now, yet must not have switched.
    expect(first.sent).toBeLessThan(3_000);
    await first.done;
    // Then the router: from here on the records go to the new topics.
    expect(await s.routerReload.reload()).toMatchObject({ result: 'applied' });
    const second = load(s.router.url, () => TOKEN_1, logId, 3_000, 3_000);
    await second.done;
    await waitFor(
      'all 6,000 records archived',
      () => new Set(archived(dir, `a-${run}`, logId).map((r) => r.seq)).size === 6_000,
      90_000,
    );
    expect(
      s.sinkLog.lines.filter(
        (l) => l.sink === `a-${run}` && l.msg === 'reload: the old topics are drained; switching to the new placement',
      ),
    ).toHaveLength(1);
    const records = archived(dir, `a-${run}`, logId);
    // Delivered again at most once per in-flight record (the sink restarted once, committing first).
    expectExactlyOnce(records, 0, 6_000, IN_FLIGHT);
    // One host, one channel: first deliveries in the order written, across the move.
    const firstSeen: number[] = [];
    const seen = new Set<number>();
    for (const r of records) {
      if (seen.has(r.seq)) continue;
      seen.add(r.seq);
      firstSeen.push(r.seq);
    }
    expect(firstSeen).toEqual(Array.from({ length: 6_000 }, (_, i) => i));
  });

  it('a move off a hash bucket other logIds keep writing: the sink watches the moved logId only, and switches', async () => {
    const run = newRun();
    const dir = tempDir();
    const file = path.join(dir, 'spillway.yaml');
    const doc = baseDoc(run, dir);
    // Two hashed A logIds in one bucket (found by trying ids: placement is a pure hash): m, for
    // sink a, moves to its own topics; n, for sink c, keeps writing the bucket all along.
    const hashed = (id: string, sink: string) => ({ id, name: id, owner: 'it', importance: 'A', sinks: [sink] });
    const pick = () => {
      for (let i = 0; i < 200; i++) {
        const m = `m${i}-${run}`;
        for (let j = 0; j < 200; j++) {
          const n = `n${j}-${run}`;
          const plan = planPlacement(
            validateConfig({ ...doc, logIds: [...doc.logIds, hashed(m, `a-${run}`), hashed(n, `c-${run}`)] }),
          );
          const topic = (id: string) => plan.logIds.find((l) => l.id === id)!.topics.info;
          if (topic(m) === topic(n)) return [m, n] as const;
        }
      }
      throw new Error('no two ids share a bucket');
    };
    const [m, n] = pick();
    doc.logIds.push(hashed(m, `a-${run}`), hashed(n, `c-${run}`));
    fs.writeFileSync(file, YAML.stringify(doc));
    const s = await startAll(file, { drainQuietMs: 2_000 });
    // About 11 s of n, so the bucket is written all through a's drain.
    const other = load(s.router.url, () => TOKEN_1, n, 0, 8_000, 25, 25);
    const first = load(s.router.url, () => TOKEN_1, m, 0, 1_000);
    await first.done;
    (doc.logIds.find((l) => l.id === m) as { dedicated?: boolean }).dedicated = true;
    fs.writeFileSync(file, YAML.stringify(doc));
    expect(await s.routerReload.reload()).toMatchObject({ result: 'applied' });
    expect(await s.sinkReload.reload()).toMatchObject({ result: 'applied' });
    await load(s.router.url, () => TOKEN_1, m, 1_000, 1_000).done;
    const switched = (l: Record<string, unknown>) =>
      l.sink === `a-${run}` && l.msg === 'reload: the old topics are drained; switching to the new placement';
    await waitFor('sink a switches', () => s.sinkLog.lines.some(switched), 30_000);
    // ...while n still writes the old bucket (the whole topic never holds still).
    expect(other.sent).toBeLessThan(8_000);
    await waitFor(
      'all of m at a while n still writes the bucket',
      () => new Set(archived(dir, `a-${run}`, m).map((r) => r.seq)).size === 2_000,
      60_000,
    );
    expect(s.sinkLog.lines.filter(switched)).toHaveLength(1);
    const firstSeen = [...new Set(archived(dir, `a-${run}`, m).map((r) => r.seq))];
    expect(firstSeen).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    await other.done;
    await waitFor(
      'all of n at c',
      () => new Set(archived(dir, `c-${run}`, n).map((r) => r.seq)).size === 8_000,
      60_000,
    );
    expectExactlyOnce(archived(dir, `c-${run}`, n), 0, 8_000, 0);
  });

  it('the real processes: a router reloads on SIGHUP, a monitor with --watch-config when the file changes', async () => {
    const run = newRun();
    const dir = tempDir();
    const file = path.join(dir, 'spillway.yaml');
    const doc = baseDoc(run, dir) as Doc & { monitor: Record<string, unknown> };
    const [routerPort, monitorPort] = [await freePort(), await freePort()];
    doc.router.listen = { port: routerPort };
    doc.monitor = { listen: { port: monitorPort }, token: 'monitor-token-one', intervalMs: 500 };
    fs.writeFileSync(file, YAML.stringify(doc));
    const router = spawnSpillway(['router', '--config', file]);
    const monitor = spawnSpillway(['monitor', '--config', file, '--watch-config']);
    const routerUrl = `http://127.0.0.1:${routerPort}`;
    const monitorUrl = `http://127.0.0.1:${monitorPort}`;
    const line = [{ logId: `old-${run}`, level: 'info', host: 'h1', seq: 0, msg: 'x' }];
    await waitFor('the router process ready', () => httpStatus(`${routerUrl}/readyz`).then((st) => st === 200), 60_000);
    await waitFor('the monitor process up', () => httpStatus(`${monitorUrl}/healthz`).then((st) => st === 200), 60_000);
    expect(await post(routerUrl, TOKEN_1, line)).toBe(200);
    expect(await httpStatus(`${monitorUrl}/api/plan`, 'monitor-token-one')).toBe(200);

    doc.router.tokens = [{ agent: 'edge', token: TOKEN_2 }];
    doc.monitor.token = 'monitor-token-two';
    fs.writeFileSync(file, YAML.stringify(doc));
    // The monitor watches the file; the router waits for its signal.
    await waitFor(
      'the monitor takes the new token',
      async () => (await httpStatus(`${monitorUrl}/api/plan`, 'monitor-token-two')) === 200,
      10_000,
    );
    expect(await httpStatus(`${monitorUrl}/api/plan`, 'monitor-token-one')).toBe(401);
    expect(await post(routerUrl, TOKEN_1, line)).toBe(200);
    router.child.kill('SIGHUP');
    await waitFor('the router takes the new token', async () => (await post(routerUrl, TOKEN_2, line)) === 200, 10_000);
    expect(await post(routerUrl, TOKEN_1, line)).toBe(401);
    const metrics = await (await fetch(`${routerUrl}/metrics`)).text();
    expect(metrics).toContain('spillway_config_reloads_total{component="router",result="applied"} 1');
    expect(metrics).toContain('spillway_config_last_reload_successful{component="router"} 1');
    for (const p of [router, monitor]) {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
    expect(router.stderr()).toBe('');
    expect(monitor.stderr()).toBe('');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function httpStatus(url: string, token?: string): Promise<number> {
  try {
    const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

function spawnSpillway(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, ['bin/spillway.js', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SPW_LOG_LEVEL: 'warn' },
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  opened.push({
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  });
  return { child, exited, stderr: () => err };
}
