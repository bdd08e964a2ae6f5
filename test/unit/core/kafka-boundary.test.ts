/**
 * core/kafka is the only door to Kafka: no other source file imports a Kafka client
 * package. (bench/kafka-clients.ts is the exception: it measures the clients to choose one.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const CLIENT_IMPORT =
  /from\s+['"](kafkajs|@platformatic\/kafka|node-rdkafka|@confluentinc\/kafka-javascript)['"]|import\(\s*['"](kafkajs|@platformatic\/kafka)['"]\s*\)/;
const ROOTS = ['agent', 'router', 'sinks', 'config', 'monitor', 'core', 'cli', 'stack', 'bench', 'test', 'scripts'];
// The benchmark measures the clients; this test quotes imports in its own self-check.
const ALLOWED = new Set(['bench/kafka-clients.ts', 'test/unit/core/kafka-boundary.test.ts']);

function sources(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e);
    if (e === 'node_modules' || e === 'target') continue;
    if (statSync(p).isDirectory()) out = out.concat(sources(p));
    else if (/\.(ts|js|mjs)$/.test(e)) out.push(p);
  }
  return out;
}

describe('Kafka client boundary', () => {
  it('only core/kafka imports a Kafka client package', () => {
    const offenders = ROOTS.flatMap(sources).filter(
      (f) =>
        !f.startsWith(`core${path.sep}kafka${path.sep}`) &&
        !ALLOWED.has(f) &&
        CLIENT_IMPORT.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('the check itself recognises a client import', () => {
    expect(CLIENT_IMPORT.test("import { Producer } from '@platformatic/kafka';")).toBe(true);
    expect(CLIENT_IMPORT.test("const k = (await import('kafkajs')).default;")).toBe(true);
    expect(CLIENT_IMPORT.test("import { KafkaProducer } from '../core/kafka/index.ts';")).toBe(false);
  });
});
