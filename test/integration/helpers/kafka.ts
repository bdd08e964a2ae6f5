/** Test helpers for Kafka: the two stack clusters, random topic names, and a collecting consumer. */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import type { KafkaCluster } from '../../../core/kafka/index.ts';

export function clusters(): { main: KafkaCluster; aux: KafkaCluster } {
  const stack = inject('stack');
  return {
    main: { name: 'main', brokers: [stack.kafkaMain], requestTimeoutMs: 10_000 },
    aux: { name: 'aux', brokers: [stack.kafkaAux], requestTimeoutMs: 10_000 },
  };
}

/** A topic or group name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}.${randomUUID().slice(0, 8)}`;
}

/** Polls until predicate() is (or resolves) true; fails with `what` after timeoutMs. */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The `clusters` and `pools` sections of a config on the stack: both clusters, every tier on main. */
export function stackClusterSections() {
  const { main, aux } = clusters();
  return {
    clusters: [
      { name: 'main', brokers: main.brokers },
      { name: 'aux', brokers: aux.brokers },
    ],
    pools: { S: ['main'], A: ['main'], B: ['main'], C: ['main'] },
  };
}
