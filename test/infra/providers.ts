/**
 * Where the integration tests find two Kafka clusters and a search engine. Three providers,
 * tried in this order; the first that is available is used:
 *
 * 1. `env`: existing infrastructure named by SPW_TEST_KAFKA_MAIN, SPW_TEST_KAFKA_AUX
 *    (bootstrap servers, "host:port[,host:port]") and SPW_TEST_SEARCH_URL (all three, or the
 *    provider is skipped with a message naming what is missing). It is probed before use and
 *    an unreachable endpoint fails the run: someone named it on purpose, so falling back to
 *    other infrastructure would test the wrong thing silently.
 * 2. `testcontainers`: two Kafka containers and one Elasticsearch container, when
 *    testcontainers' own runtime detection finds a Docker engine within a few seconds.
 * 3. `local-stack`: the JVM stack of `spillway stack up` (two KRaft brokers and OpenSearch),
 *    which must already be running; nothing here starts it.
 *
 * The selection (`chooseProvider`) is pure over its providers, so unit tests prove the order
 * and the fallback with fakes (test/unit/infra/providers.test.ts).
 */

/** What the integration tests connect to. */
export interface InfraEndpoints {
  /** Bootstrap servers of the first cluster ("host:port", comma-separated for several). */
  kafkaMain: string;
  /** Bootstrap servers of the second, independent cluster. */
  kafkaAux: string;
  /** Base URL of the search engine. */
  searchUrl: string;
  /** Which engine answers at searchUrl; the suite was written against OpenSearch. */
  searchEngine: 'opensearch' | 'elasticsearch' | 'unknown';
}

export interface StartedInfra {
  endpoints: InfraEndpoints;
  /** One line for the start of the run: what is used. */
  summary: string;
  /** Stops what the provider started (nothing for env and local-stack). */
  stop(): Promise<void>;
}

export type Availability = { available: true; reason: string } | { available: false; reason: string };

export interface InfraProvider {
  name: 'env' | 'testcontainers' | 'local-stack';
  detect(): Promise<Availability>;
  start(): Promise<StartedInfra>;
}

export interface Choice {
  provider: InfraProvider;
  /** Why each provider before it was passed over, then why this one was taken. */
  log: string[];
}

/**
 * The first available provider, in the given order, with the reasons for the run's log.
 * A provider whose detection throws is treated as unavailable (with the error as reason).
 * @throws Error naming every provider and why it was unavailable, when none is
 */
export async function chooseProvider(providers: readonly InfraProvider[]): Promise<Choice> {
  const log: string[] = [];
  for (const provider of providers) {
    let a: Availability;
    try {
      a = await provider.detect();
    } catch (err) {
      a = { available: false, reason: `detection failed: ${(err as Error).message}` };
    }
    if (a.available) {
      log.push(`test infrastructure: ${provider.name} (${a.reason})`);
      return { provider, log };
    }
    log.push(`test infrastructure: ${provider.name} not used: ${a.reason}`);
  }
  throw new Error(`no test infrastructure available:\n  ${log.join('\n  ')}`);
}

export const ENV_VARS = {
  kafkaMain: 'SPW_TEST_KAFKA_MAIN',
  kafkaAux: 'SPW_TEST_KAFKA_AUX',
  searchUrl: 'SPW_TEST_SEARCH_URL',
} as const;

/** Probes one endpoint; resolves true when it answers within timeoutMs. */
export type Probe = (target: string, timeoutMs: number) => Promise<boolean>;

/** How long each env endpoint may take to answer its probe. */
export const ENV_PROBE_TIMEOUT_MS = 5_000;

export function envProvider(
  env: Readonly<Record<string, string | undefined>>,
  probes: { kafka: Probe; search: Probe },
): InfraProvider {
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  return {
    name: 'env',
    async detect() {
      const names = Object.values(ENV_VARS);
      const missing = names.filter((n) => value(n) === undefined);
      if (missing.length === names.length) return { available: false, reason: `${names.join(', ')} not set` };
      if (missing.length > 0) {
        return {
          available: false,
          reason: `${missing.join(' and ')} not set (${names.join(', ')} are needed together)`,
        };
      }
      return { available: true, reason: `${names.join(', ')} set` };
    },
    async start() {
      const endpoints: InfraEndpoints = {
        kafkaMain: value(ENV_VARS.kafkaMain)!,
        kafkaAux: value(ENV_VARS.kafkaAux)!,
        searchUrl: value(ENV_VARS.searchUrl)!.replace(/\/+$/, ''),
        searchEngine: 'unknown',
      };
      const checks = [
        { name: ENV_VARS.kafkaMain, ok: probes.kafka(endpoints.kafkaMain, ENV_PROBE_TIMEOUT_MS) },
        { name: ENV_VARS.kafkaAux, ok: probes.kafka(endpoints.kafkaAux, ENV_PROBE_TIMEOUT_MS) },
        { name: ENV_VARS.searchUrl, ok: probes.search(endpoints.searchUrl, ENV_PROBE_TIMEOUT_MS) },
      ];
      const down: string[] = [];
      for (const c of checks) if (!(await c.ok.catch(() => false))) down.push(`${c.name}=${env[c.name]}`);
      if (down.length > 0) {
        throw new Error(
          `test infrastructure from the environment does not answer within ${ENV_PROBE_TIMEOUT_MS} ms: ${down.join(', ')}; fix or unset these variables`,
        );
      }
      return {
        endpoints,
        summary: `kafka main ${endpoints.kafkaMain}, kafka aux ${endpoints.kafkaAux}, search ${endpoints.searchUrl}`,
        stop: async () => {},
      };
    },
  };
}

/** Resolves true when a container engine is reachable, false (or rejects) when not. */
export type RuntimeDetector = () => Promise<boolean>;

/** Docker detection normally answers in well under a second; a hung socket must not hold the run. */
export const DOCKER_DETECT_TIMEOUT_MS = 5_000;

/** Races `detect` against a timeout; a rejection or the timeout counts as unreachable. */
export async function detectWithin(
  detect: RuntimeDetector,
  timeoutMs: number,
): Promise<{ reachable: boolean; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ reachable: boolean; reason: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ reachable: false, reason: `no answer from a container engine within ${timeoutMs} ms` }),
      timeoutMs,
    );
    timer.unref();
  });
  const detection = detect().then(
    (ok) => ({ reachable: ok, reason: ok ? 'a Docker engine is reachable' : 'no Docker engine found' }),
    (err: Error) => ({ reachable: false, reason: `no Docker engine: ${err.message}` }),
  );
  try {
    return await Promise.race([detection, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function testcontainersProvider(
  detect: RuntimeDetector,
  start: () => Promise<StartedInfra>,
  timeoutMs = DOCKER_DETECT_TIMEOUT_MS,
): InfraProvider {
  return {
    name: 'testcontainers',
    async detect() {
      const r = await detectWithin(detect, timeoutMs);
      return r.reachable ? { available: true, reason: r.reason } : { available: false, reason: r.reason };
    },
    start,
  };
}

export interface LocalStackStatus {
  services: { name: string; ready: boolean }[];
  endpoints: InfraEndpoints;
}

/** How the local-stack provider starts a stack that is down, and stops it after the run. */
export interface LocalStackControl {
  up(): Promise<void>;
  down(): Promise<void>;
}

/**
 * The local JVM stack. Up already: used as it is and left running. Down, with `control`:
 * started for the run and stopped after it, so `npm test` alone works on a fresh machine;
 * without `control` (SPW_TEST_NO_STACK_START=1), not available, naming the command.
 */
export function localStackProvider(
  status: () => Promise<LocalStackStatus>,
  control?: LocalStackControl,
): InfraProvider {
  let last: LocalStackStatus | undefined;
  let startIt = false;
  return {
    name: 'local-stack',
    async detect() {
      last = await status();
      const down = last.services.filter((s) => !s.ready).map((s) => s.name);
      if (down.length > 0) {
        const why = `the local stack is not up (${down.join(', ')} not ready)`;
        if (control) {
          startIt = true;
          return { available: true, reason: `${why}: starting it for this run and stopping it after` };
        }
        return {
          available: false,
          reason: `${why}: run \`npm run stack -- up\` first, or \`bash .ci/run\` which starts it`,
        };
      }
      return { available: true, reason: `${last.services.map((s) => s.name).join(', ')} up` };
    },
    async start() {
      if (startIt && control) {
        await control.up();
        last = await status();
      }
      const s = last ?? (await status());
      const e = s.endpoints;
      return {
        endpoints: e,
        summary: `SPW_KAFKA_MAIN=${e.kafkaMain} SPW_KAFKA_AUX=${e.kafkaAux} SPW_SEARCH_URL=${e.searchUrl} (${e.searchEngine})`,
        stop: async () => {
          if (startIt && control) await control.down();
        },
      };
    },
  };
}
