/**
 * Integration tests need the real stack (two Kafka clusters, OpenSearch). This checks it is
 * up before any test runs and hands its endpoints to the tests; it never starts it (that is
 * .ci/run's or the developer's `spillway stack up`), so a failure here says exactly that.
 */
import type { TestProject } from 'vitest/node';
import { stackEnvLines, stackStatus } from '../../stack/stack.ts';

export interface StackEndpoints {
  kafkaMain: string;
  kafkaAux: string;
  searchUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const { ports, services } = await stackStatus();
  const down = services.filter((s) => !s.ready).map((s) => s.name);
  if (down.length > 0) {
    throw new Error(
      `the local stack is not up (${down.join(', ')} not ready): run \`npm run stack -- up\` first, or \`bash .ci/run\` which starts it`,
    );
  }
  const env = Object.fromEntries(stackEnvLines(ports).map((l) => l.split('=', 2) as [string, string]));
  console.log(`integration tests against the local JVM stack: ${stackEnvLines(ports).join(' ')}`);
  project.provide('stack', {
    kafkaMain: env.SPW_KAFKA_MAIN!,
    kafkaAux: env.SPW_KAFKA_AUX!,
    searchUrl: env.SPW_SEARCH_URL!,
  });
}
