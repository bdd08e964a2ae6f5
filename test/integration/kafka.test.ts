/**
 * The core Kafka module against both real clusters of the local stack: produce with
 * acks=all, consume in a group, explicit commits, per-partition pause/resume, admin offsets.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ConsumedRecord,
  KafkaAdmin,
  type KafkaCluster,
  KafkaConsumer,
  KafkaProducer,
} from '../../core/kafka/index.ts';
import { clusters, uniqueName, waitFor } from './helpers/kafka.ts';

const PARTITIONS = 3;
const open: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const c of open.reverse()) await c.close().catch(() => {});
});

function track<T extends { close(): Promise<void> }>(c: T): T {
  open.push(c);
  return c;
}

async function freshTopic(cluster: KafkaCluster): Promise<string> {
  const admin = track(new KafkaAdmin(cluster));
  const topic = uniqueName('it.kafka');
  expect(await admin.ensureTopics([{ topic, partitions: PARTITIONS, configs: { 'retention.ms': '3600000' } }])).toEqual(
    [topic],
  );
  return topic;
}

function records(topic: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    partition: (from + i) % PARTITIONS,
    key: `host-${(from + i) % 7}`,
    value: JSON.stringify({ seq: from + i }),
  }));
}

const seqOf = (r: ConsumedRecord) => (JSON.parse(r.value!.toString()) as { seq: number }).seq;

describe.each(['main', 'aux'] as const)('core kafka module on the %s cluster', (name) => {
  it('produces with acks=all and consumes every record exactly once in a fresh group, in order per partition', async () => {
    const cluster = clusters()[name];
    const topic = await freshTopic(cluster);
    const producer = track(new KafkaProducer(cluster, { clientId: 'it-producer' }));
    const acked = await producer.send(records(topic, 0, 1500));
    expect(acked.map((o) => o.partition).sort()).toEqual([0, 1, 2]);

    const got: ConsumedRecord[] = [];
    const consumer = track(
      new KafkaConsumer(cluster, {
        clientId: 'it-consumer',
        groupId: uniqueName('it.group'),
        topics: [topic],
        onBatch: (b) => {
          got.push(...b.records);
        },
      }),
    );
    await consumer.start();
    await waitFor('1500 records', () => got.length >= 1500);
    expect(got).toHaveLength(1500);
    expect(new Set(got.map(seqOf)).size).toBe(1500);
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = got.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)));
    }
    const admin = track(new KafkaAdmin(cluster));
    expect((await admin.endOffsets([topic])).get(topic)).toEqual([500n, 500n, 500n]);
  });

  it('resumes a group from its explicit commits, not from what it merely fetched', async () => {
    const cluster = clusters()[name];
    const topic = await freshTopic(cluster);
    const groupId = uniqueName('it.group');
    const producer = track(new KafkaProducer(cluster, { clientId: 'it-producer' }));
    await producer.send(records(topic, 0, 300));

    const first: ConsumedRecord[] = [];
    const c1 = new KafkaConsumer(cluster, {
      clientId: 'it-c1',
      groupId,
      topics: [topic],
      onBatch: (b) => void first.push(...b.records),
    });
    await c1.start();
    await waitFor('300 records', () => first.length >= 300);
    // Commit only partition 0 fully and partition 1 up to offset 50; partition 2 not at all.
    await c1.commit([
      { topic, partition: 0, offset: 100n },
      { topic, partition: 1, offset: 50n },
    ]);
    await c1.close();

    const admin = track(new KafkaAdmin(cluster));
    const committed = await admin.committedOffsets(groupId);
    expect(committed.get(topic)).toEqual(
      new Map([
        [0, 100n],
        [1, 50n],
      ]),
    );

    const second: ConsumedRecord[] = [];
    const c2 = track(
      new KafkaConsumer(cluster, {
        clientId: 'it-c2',
        groupId,
        topics: [topic],
        onBatch: (b) => void second.push(...b.records),
      }),
    );
    await c2.start();
    await waitFor('redelivery of the 150 uncommitted records', () => second.length >= 150);
    const perPartition = [0, 1, 2].map((p) => second.filter((r) => r.partition === p).length);
    expect(perPartition).toEqual([0, 50, 100]);
    expect(second.filter((r) => r.partition === 1)[0]!.offset).toBe(50n);
  });

  it('pauses one partition without stopping the others, and delivers it after resume', async () => {
    const cluster = clusters()[name];
    const topic = await freshTopic(cluster);
    const producer = track(new KafkaProducer(cluster, { clientId: 'it-producer' }));
    const got: ConsumedRecord[] = [];
    const consumer = track(
      new KafkaConsumer(cluster, {
        clientId: 'it-pause',
        groupId: uniqueName('it.group'),
        topics: [topic],
        onBatch: (b) => void got.push(...b.records),
      }),
    );
    await consumer.start();
    expect(consumer.assignments()).toHaveLength(PARTITIONS);
    consumer.pause([{ topic, partition: 1 }]);
    expect(consumer.isPaused({ topic, partition: 1 })).toBe(true);

    await producer.send(records(topic, 0, 600));
    await waitFor('partitions 0 and 2', () => got.length >= 400);
    // Give a paused partition every chance to leak: several more fetch rounds.
    await producer.send(records(topic, 600, 3).filter((r) => r.partition !== 1));
    await waitFor('the 2 extra records', () => got.length >= 402);
    expect(got.filter((r) => r.partition === 1)).toHaveLength(0);
    expect(consumer.position({ topic, partition: 1 })).toBe(0n);

    consumer.resume([{ topic, partition: 1 }]);
    await waitFor('partition 1 after resume', () => got.length >= 602);
    expect(got.filter((r) => r.partition === 1).map((r) => r.offset)).toEqual(
      Array.from({ length: 200 }, (_, i) => BigInt(i)),
    );
    expect(got).toHaveLength(602);
  });
});

describe('record headers', () => {
  it('round-trip as strings and bytes', async () => {
    const { main } = clusters();
    const topic = await freshTopic(main);
    const producer = track(new KafkaProducer(main, { clientId: 'it-headers' }));
    await producer.send([
      {
        topic,
        partition: 0,
        key: 'k',
        value: 'v',
        headers: { 'spw-origin-topic': 'spw.s.error.h1', bin: Buffer.from([0, 255]) },
      },
    ]);
    const got: ConsumedRecord[] = [];
    const consumer = track(
      new KafkaConsumer(main, {
        clientId: 'it-h',
        groupId: uniqueName('it.group'),
        topics: [topic],
        onBatch: (b) => void got.push(...b.records),
      }),
    );
    await consumer.start();
    await waitFor('1 record', () => got.length >= 1);
    expect(got[0]!.headers.map(([k, v]) => [k, v?.toString('hex')])).toEqual([
      ['spw-origin-topic', Buffer.from('spw.s.error.h1').toString('hex')],
      ['bin', '00ff'],
    ]);
  });
});

describe('two clusters are independent', () => {
  it('a topic created on main does not exist on aux', async () => {
    const { main, aux } = clusters();
    const topic = await freshTopic(main);
    const auxAdmin = track(new KafkaAdmin(aux));
    expect(await auxAdmin.describeTopics([topic])).toEqual([]);
    const mainAdmin = track(new KafkaAdmin(main));
    expect(await mainAdmin.describeTopics([topic])).toEqual([{ topic, partitions: PARTITIONS }]);
  });

  it('a produce deadline that has already passed fails with a clear error and writes nothing', async () => {
    const { main } = clusters();
    const topic = await freshTopic(main);
    const producer = track(new KafkaProducer(main, { clientId: 'it-deadline' }));
    await expect(producer.send(records(topic, 0, 5), 0)).rejects.toMatchObject({
      code: 'SPW_ERR_KAFKA_PRODUCE',
      message: 'deadline already passed before producing to cluster "main"',
    });
    const admin = track(new KafkaAdmin(main));
    expect((await admin.endOffsets([topic])).get(topic)).toEqual([0n, 0n, 0n]);
  });
});
