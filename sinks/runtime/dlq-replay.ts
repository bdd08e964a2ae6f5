/**
 * `spillway dlq replay --config FILE --sink NAME`: after an operator fixed the cause, moves a
 * sink's dead letters back into its gutter topic, where the drainer delivers them like any
 * other gutter record (attempts reset, the original reason kept in the error header).
 *
 * It reads every cluster's dead-letter topic of the sink with its own group
 * (`spw.dlq-replay.<sink>`) up to the end offsets seen at start, so letters that arrive
 * while it runs wait for the next replay, and commits as it goes: an interrupted replay
 * resumes where it stopped.
 */
import type { SpillwayConfig } from '../../config/schema.ts';
import { KafkaAdmin, KafkaConsumer, type PartitionBatch } from '../../core/kafka/index.ts';
import { createLogger } from '../../core/logger.ts';
import { ProgressBar } from '../../core/progress.ts';
import { deadLetterTopicName } from '../../router/placement-plan.ts';
import { logIdOfKey } from '../core/destination.ts';
import { sinkSides } from './sink-sides.ts';
import { fromSpilled } from './spillway-writer.ts';

export const replayGroupId = (sink: string) => `spw.dlq-replay.${sink}`;

export interface ReplayResult {
  replayed: number;
  perCluster: Record<string, number>;
}

export async function replayDeadLetters(
  config: SpillwayConfig,
  sinkName: string,
  options: { progress?: boolean } = {},
): Promise<ReplayResult> {
  const sink = config.sinks.find((s) => s.name === sinkName);
  if (!sink) throw new Error(`no sink named "${sinkName}" in the config`);
  const log = createLogger('dlq-replay').child({ sink: sinkName });
  const sides = sinkSides(config, sink, 'spillway-dlq-replay', log);
  const { clusters, clusterOf, writer } = sides;
  const dlq = deadLetterTopicName(sinkName);
  const group = replayGroupId(sinkName);

  // What is there to replay: end offsets now, minus what earlier replays committed.
  const todo = new Map<string, Map<number, { from: bigint; end: bigint }>>();
  let total = 0;
  for (const name of clusters) {
    const admin = new KafkaAdmin(clusterOf(name), 'spillway-dlq-replay');
    try {
      if ((await admin.describeTopics([dlq])).length === 0) continue;
      const ends = (await admin.endOffsets([dlq])).get(dlq) ?? [];
      const starts = (await admin.startOffsets([dlq])).get(dlq) ?? [];
      const committed = (await admin.committedOffsets(group)).get(dlq) ?? new Map<number, bigint>();
      const parts = new Map<number, { from: bigint; end: bigint }>();
      ends.forEach((end, p) => {
        const from = committed.get(p) ?? starts[p] ?? 0n;
        if (end > from) {
          parts.set(p, { from, end });
          total += Number(end - from);
        }
      });
      if (parts.size > 0) todo.set(name, parts);
    } finally {
      await admin.close();
    }
  }
  const bar = options.progress ? new ProgressBar(`replay ${dlq}`, total) : undefined;
  bar?.update(0);
  if (total === 0) {
    bar?.finish(0);
    await sides.close();
    return { replayed: 0, perCluster: {} };
  }

  let replayed = 0;
  const perCluster: Record<string, number> = {};
  try {
    await Promise.all(
      [...todo].map(async ([name, parts]) => {
        let resolveDone!: () => void;
        const done = new Promise<void>((r) => {
          resolveDone = r;
        });
        const remaining = new Set(parts.keys());
        const consumer: KafkaConsumer = new KafkaConsumer(clusterOf(name), {
          clientId: 'spillway-dlq-replay',
          groupId: group,
          topics: [dlq],
          maxWaitMs: 200,
          onBatch: async (b: PartitionBatch) => {
            const range = parts.get(b.partition);
            if (!range || !remaining.has(b.partition)) return;
            const take = b.records.filter((r) => r.offset < range.end && r.value);
            const now = Date.now();
            await writer.toGutter(
              take.map((r) => {
                const s = fromSpilled(r.headers, r.value!, logIdOfKey(r.key) ?? '');
                return {
                  record: { ...s.record, attempts: 0 },
                  reason: `replayed from dead letters; was: ${s.reason}`,
                  firstFailedAt: now,
                };
              }),
            );
            replayed += take.length;
            perCluster[name] = (perCluster[name] ?? 0) + take.length;
            bar?.update(replayed);
            const last = b.records[b.records.length - 1]!.offset + 1n;
            const next = last > range.end ? range.end : last;
            await consumer.commit([{ topic: dlq, partition: b.partition, offset: next }]);
            if (next >= range.end) {
              consumer.pause([{ topic: dlq, partition: b.partition }]);
              remaining.delete(b.partition);
              if (remaining.size === 0) resolveDone();
            }
          },
        });
        await consumer.start();
        await done;
        await consumer.close();
      }),
    );
  } finally {
    await sides.close();
  }
  bar?.finish(replayed);
  return { replayed, perCluster };
}
