/**
 * Integration tests need two Kafka clusters and a search engine. This picks where they come
 * from before any test runs (test/infra/providers.ts: environment variables, then
 * testcontainers when a Docker engine is reachable, then the local JVM stack), prints the
 * choice and why, and hands the endpoints to the tests. A local stack that is down is
 * started for the run and stopped after it (SPW_TEST_NO_STACK_START=1 refuses instead);
 * one already up (.ci/run's, the developer's) is used and left running.
 */
import type { TestProject } from 'vitest/node';
import { probeKafka } from '../../core/kafka/index.ts';
import { stackDown, stackEnvLines, stackStatus, stackUp } from '../../stack/stack.ts';
import { nodeTooOld, requiredNode } from '../infra/node-version.ts';
import {
  chooseProvider,
  envProvider,
  type InfraEndpoints,
  type InfraProvider,
  localStackProvider,
  testcontainersProvider,
} from '../infra/providers.ts';
import { detectDocker, startContainers } from '../infra/testcontainers.ts';

export interface StackEndpoints extends InfraEndpoints {
  /** Which provider supplied them (tests that drive the local stack itself skip otherwise). */
  provider: InfraProvider['name'];
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEndpoints;
  }
}

async function probeSearch(url: string, timeoutMs: number): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return res.status < 500;
}

async function localStack() {
  const { ports, services } = await stackStatus();
  const env = Object.fromEntries(
    stackEnvLines(ports).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  return {
    services,
    endpoints: {
      kafkaMain: env.SPW_KAFKA_MAIN!,
      kafkaAux: env.SPW_KAFKA_AUX!,
      searchUrl: env.SPW_SEARCH_URL!,
      searchEngine: env.SPW_SEARCH_ENGINE === 'opensearch' ? ('opensearch' as const) : ('unknown' as const),
    },
  };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Before anything starts: on a too-old Node every Kafka probe fails and the run would end
  // in a readiness timeout minutes later instead of naming the fix.
  const tooOld = nodeTooOld(process.version, requiredNode());
  if (tooOld) throw new Error(tooOld);
  const { provider, log } = await chooseProvider([
    envProvider(process.env, {
      kafka: (brokers, timeoutMs) => probeKafka(brokers.split(','), timeoutMs),
      search: probeSearch,
    }),
    testcontainersProvider(detectDocker, startContainers),
    localStackProvider(
      localStack,
      process.env.SPW_TEST_NO_STACK_START === '1'
        ? undefined
        : {
            up: async () => {
              await stackUp({ autoPorts: true });
            },
            down: () => stackDown(),
          },
    ),
  ]);
  for (const line of log) console.log(line);
  const infra = await provider.start();
  console.log(`integration tests against ${provider.name}: ${infra.summary}`);
  project.provide('stack', { ...infra.endpoints, provider: provider.name });
  return () => infra.stop();
}
