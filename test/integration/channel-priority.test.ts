/**
 * Channel priority inside a sink (DESIGN.md invariant 3, issue #11), on the real Kafka
 * cluster with the real http sink: a backlog of 100,000 low-criticality records sits in
 * front of an http destination with a fixed capacity; high-criticality records produced
 * while it drains must reach the destination before it has drained, overtaking the records
 * already fetched and queued in the sink.
 *
 * The measure is a count, not a time: how many backlog records the destination served
 * between the moment the urgent records were produced and the moment the last of them
 * arrived. Serving in arrival order (the sink before #11) puts the urgent records behind
 * everything already in flight, maxInFlightRecords x RESUME_AT = 14,000 records and more;
 * served by criticality they wait for the requests already at the destination and one
 * batch linger, a few thousand at most.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { criticalityOf } from '../../core/resilience/criticality.ts';
import { type CapacityReceiver, startCapacityReceiver } from '../../scripts/capacity-receiver.ts';
import { type RunningSink, startSink } from '../../sinks/runtime/sink-service.ts';
import { RESUME_AT } from '../../sinks/runtime/sink-worker.ts';
import { waitFor } from './helpers/kafka.ts';
import { newRun, pipelineConfig, produceRecords } from './helpers/pipeline.ts';

const BACKLOG = 100_000;
const URGENT = 200;
const MAX_IN_FLIGHT = 20_000;
/** Backlog records the destination may serve while the urgent ones wait: two requests at the destination, one linger, the fetch. */
const OVERTAKE_BOUND = 5_000;

const running: { sink?: RunningSink; receiver?: CapacityReceiver }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.sink?.close();
    await r.receiver?.close();
  }
});

interface Case {
  name: string;
  flood: { importance: 'S' | 'A' | 'B' | 'C'; level: string };
  urgent: { importance: 'S' | 'A' | 'B' | 'C'; level: string };
}

const cases: Case[] = [
  {
    name: 'ERROR lines overtake an INFO backlog of the same logId',
    flood: { importance: 'A', level: 'info' },
    urgent: { importance: 'A', level: 'error' },
  },
  {
    name: 'an S logId overtakes the backlog of a flooded C logId',
    flood: { importance: 'C', level: 'info' },
    urgent: { importance: 'S', level: 'info' },
  },
];

describe('channel priority in a sink', () => {
  it.each(cases)('$name', async ({ flood, urgent }) => {
    const run = newRun();
    const name = `prio-${run}`;
    const floodId = `flood-${run}`;
    const urgentId = flood.importance === urgent.importance ? floodId : `urgent-${run}`;
    const logIds = [...new Set([floodId, urgentId])];

    // Arrival order at the destination: every record's seq, and how much backlog was served before it.
    let backlogServed = 0;
    const urgentArrivals: { seq: number; backlogServedBefore: number }[] = [];
    const backlogSeen = new Set<number>();
    const receiver = await startCapacityReceiver({
      recordsPerSec: 20_000,
      onRecords: (lines) => {
        for (const line of lines) {
          const r = JSON.parse(line.toString()) as { seq?: number; urgent?: boolean };
          if (r.seq === undefined) continue; // the health check's probe
          if (r.urgent) urgentArrivals.push({ seq: r.seq, backlogServedBefore: backlogServed });
          else {
            backlogSeen.add(r.seq);
            backlogServed++;
          }
        }
      },
    });
    running.push({ receiver });

    const config = pipelineConfig({
      run,
      logIds,
      importance: { [floodId]: flood.importance, [urgentId]: urgent.importance },
      sinks: [
        {
          type: 'http',
          name,
          url: receiver.url,
          batch: { maxRecords: 500, lingerMs: 50 },
          maxInFlightRecords: MAX_IN_FLIGHT,
          concurrency: 2,
          requestTimeoutMs: 10_000,
        },
      ],
    });
    await produceRecords(
      config,
      Array.from({ length: BACKLOG }, (_, seq) => ({ logId: floodId, level: flood.level, seq })),
    );

    const sink = await startSink(config, name, { maxWaitMs: 100, commitIntervalMs: 500 });
    running[0]!.sink = sink;
    // Which tiers the in-flight budget pauses, sampled while the backlog drains.
    const pausedSeen = new Set<string>();
    const sampler = setInterval(() => {
      for (const c of sink.main.pausedTiers()) pausedSeen.add(c);
    }, 5);
    // The backlog is draining at the destination's capacity, the sink's in-flight budget full.
    await waitFor('the backlog to start draining', () => backlogServed >= 10_000, 60_000);
    await produceRecords(
      config,
      Array.from({ length: URGENT }, (_, seq) => ({
        logId: urgentId,
        level: urgent.level,
        seq,
        extra: { urgent: true },
      })),
    );
    // Counted from when they are in Kafka: connecting the test's producer is not the sink's time.
    const servedWhenProduced = backlogServed;
    await waitFor(`${URGENT} urgent records`, () => urgentArrivals.length >= URGENT, 60_000);
    clearInterval(sampler);
    // The flood's tier filled the budget and was paused; the urgent tier never was.
    const floodTier = criticalityOf(flood.importance, flood.level);
    const urgentTier = criticalityOf(urgent.importance, urgent.level);
    expect(pausedSeen.has(floodTier)).toBe(true);
    expect(pausedSeen.has(urgentTier)).toBe(false);
    const overtaken = Math.max(...urgentArrivals.map((a) => a.backlogServedBefore)) - servedWhenProduced;
    console.log(
      `${flood.importance}/${flood.level} backlog vs ${urgent.importance}/${urgent.level}: ` +
        `urgent records in Kafka after ${servedWhenProduced} backlog records were served; ` +
        `${overtaken} more were served before the last urgent one arrived ` +
        `(arrival order would put ${MAX_IN_FLIGHT * RESUME_AT} or more ahead of it)`,
    );
    // Every urgent record arrived long before the backlog drained, overtaking the in-flight backlog.
    expect(overtaken).toBeLessThan(OVERTAKE_BOUND);
    expect(Math.max(...urgentArrivals.map((a) => a.backlogServedBefore))).toBeLessThan(BACKLOG / 2);
    expect(urgentArrivals.map((a) => a.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: URGENT }, (_, i) => i));

    // The backlog is not starved or lost: all of it arrives, each record once.
    await waitFor('the whole backlog', () => backlogSeen.size >= BACKLOG, 120_000);
    expect(backlogSeen.size).toBe(BACKLOG);
    expect(backlogServed).toBe(BACKLOG);
    expect(await sink.telemetry.value('spillway_records_delivered_total', { sink: name })).toBe(BACKLOG + URGENT);
    // Throughput per tier: each channel's deliveries under its own importance and level class.
    const deliveredOf = (c: { importance: string; level: string }) =>
      sink.telemetry.value('spillway_records_delivered_total', {
        sink: name,
        importance: c.importance,
        level_class: c.level,
      });
    expect(await deliveredOf(urgent)).toBe(URGENT);
    expect(await deliveredOf(flood)).toBe(BACKLOG);
    expect(await sink.telemetry.value('spillway_gutter_records_total', { sink: name, direction: 'in' })).toBe(0);
  });
});
