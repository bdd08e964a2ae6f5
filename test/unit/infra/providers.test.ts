/**
 * The order and the fallback of the integration tests' infrastructure providers
 * (test/infra/providers.ts), with fakes: no Docker engine, broker or stack is needed.
 */
import { describe, expect, it } from 'vitest';
import {
  type Availability,
  chooseProvider,
  detectWithin,
  ENV_VARS,
  envProvider,
  type InfraEndpoints,
  type InfraProvider,
  type LocalStackStatus,
  localStackProvider,
  type StartedInfra,
  testcontainersProvider,
} from '../../infra/providers.ts';

const ENDPOINTS: InfraEndpoints = {
  kafkaMain: '127.0.0.1:19092',
  kafkaAux: '127.0.0.1:29092',
  searchUrl: 'http://127.0.0.1:19200',
  searchEngine: 'opensearch',
};
const FULL_ENV = {
  SPW_TEST_KAFKA_MAIN: 'kafka-a:9092',
  SPW_TEST_KAFKA_AUX: 'kafka-b:9092',
  SPW_TEST_SEARCH_URL: 'http://search:9200/',
};
const up = async () => true;
const neverStarted = async (): Promise<StartedInfra> => {
  throw new Error('must not start');
};

function stackStatus(ready: boolean): () => Promise<LocalStackStatus> {
  return async () => ({
    services: [
      { name: 'kafka-main', ready: true },
      { name: 'kafka-aux', ready },
      { name: 'opensearch', ready: true },
    ],
    endpoints: ENDPOINTS,
  });
}

/** The real providers in the real order, over fake probes, detection and stack status. */
function providers(options: {
  env?: Record<string, string | undefined>;
  docker: () => Promise<boolean>;
  stackUp?: boolean;
}): InfraProvider[] {
  return [
    envProvider(options.env ?? {}, { kafka: up, search: up }),
    testcontainersProvider(options.docker, neverStarted, 200),
    localStackProvider(stackStatus(options.stackUp ?? true)),
  ];
}

describe('chooseProvider', () => {
  it('takes the environment first when all three variables are set, even with Docker and the stack up', async () => {
    const { provider, log } = await chooseProvider(providers({ env: FULL_ENV, docker: up }));
    expect(provider.name).toBe('env');
    expect(log).toEqual([
      'test infrastructure: env (SPW_TEST_KAFKA_MAIN, SPW_TEST_KAFKA_AUX, SPW_TEST_SEARCH_URL set)',
    ]);
  });

  it('takes testcontainers second, when the environment names nothing and Docker answers', async () => {
    const { provider, log } = await chooseProvider(providers({ docker: up }));
    expect(provider.name).toBe('testcontainers');
    expect(log).toEqual([
      'test infrastructure: env not used: SPW_TEST_KAFKA_MAIN, SPW_TEST_KAFKA_AUX, SPW_TEST_SEARCH_URL not set',
      'test infrastructure: testcontainers (a Docker engine is reachable)',
    ]);
  });

  it('falls back to the local stack when the environment is incomplete and Docker is unreachable', async () => {
    const noDocker = async () => {
      throw new Error('Could not find a working container runtime strategy');
    };
    const { provider, log } = await chooseProvider(
      providers({ env: { ...FULL_ENV, SPW_TEST_KAFKA_AUX: undefined }, docker: noDocker }),
    );
    expect(provider.name).toBe('local-stack');
    expect(log).toEqual([
      'test infrastructure: env not used: SPW_TEST_KAFKA_AUX not set (SPW_TEST_KAFKA_MAIN, SPW_TEST_KAFKA_AUX, SPW_TEST_SEARCH_URL are needed together)',
      'test infrastructure: testcontainers not used: no Docker engine: Could not find a working container runtime strategy',
      'test infrastructure: local-stack (kafka-main, kafka-aux, opensearch up)',
    ]);
    const started = await provider.start();
    expect(started.endpoints).toEqual(ENDPOINTS);
    expect(started.summary).toBe(
      'SPW_KAFKA_MAIN=127.0.0.1:19092 SPW_KAFKA_AUX=127.0.0.1:29092 SPW_SEARCH_URL=http://127.0.0.1:19200 (opensearch)',
    );
  });

  it('falls back to the local stack when Docker detection hangs past its timeout', async () => {
    const hangs = () => new Promise<boolean>(() => {});
    const t0 = Date.now();
    const { provider, log } = await chooseProvider(providers({ docker: hangs }));
    expect(provider.name).toBe('local-stack');
    expect(log[1]).toBe(
      'test infrastructure: testcontainers not used: no answer from a container engine within 200 ms',
    );
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('treats a provider whose detection throws as unavailable and goes on', async () => {
    const broken: InfraProvider = {
      name: 'env',
      detect: async (): Promise<Availability> => {
        throw new Error('boom');
      },
      start: neverStarted,
    };
    const { provider, log } = await chooseProvider([broken, localStackProvider(stackStatus(true))]);
    expect(provider.name).toBe('local-stack');
    expect(log[0]).toBe('test infrastructure: env not used: detection failed: boom');
  });

  it('fails with every reason when nothing is available, naming the stack command', async () => {
    await expect(chooseProvider(providers({ docker: async () => false, stackUp: false }))).rejects.toThrow(
      [
        'no test infrastructure available:',
        '  test infrastructure: env not used: SPW_TEST_KAFKA_MAIN, SPW_TEST_KAFKA_AUX, SPW_TEST_SEARCH_URL not set',
        '  test infrastructure: testcontainers not used: no Docker engine found',
        '  test infrastructure: local-stack not used: the local stack is not up (kafka-aux not ready): run `npm run stack -- up` first, or `bash .ci/run` which starts it',
      ].join('\n'),
    );
  });
});

describe('localStackProvider', () => {
  it('starts a stack that is down for the run and stops it after; leaves one that is up alone', async () => {
    const calls: string[] = [];
    let ready = false;
    const control = {
      up: async () => {
        calls.push('up');
        ready = true;
      },
      down: async () => {
        calls.push('down');
        ready = false;
      },
    };
    const status = async () => ({
      services: [{ name: 'kafka-main', ready }],
      endpoints: ENDPOINTS,
    });
    const p = localStackProvider(status, control);
    expect(await p.detect()).toEqual({
      available: true,
      reason: 'the local stack is not up (kafka-main not ready): starting it for this run and stopping it after',
    });
    const started = await p.start();
    expect(calls).toEqual(['up']);
    await started.stop();
    expect(calls).toEqual(['up', 'down']);

    calls.length = 0;
    ready = true;
    const q = localStackProvider(status, control);
    expect((await q.detect()).available).toBe(true);
    await (await q.start()).stop();
    expect(calls).toEqual([]);
  });
});

describe('envProvider', () => {
  it.each([
    [{ SPW_TEST_KAFKA_MAIN: 'a:1' }, 'SPW_TEST_KAFKA_AUX and SPW_TEST_SEARCH_URL not set'],
    [{ ...FULL_ENV, SPW_TEST_SEARCH_URL: '  ' }, 'SPW_TEST_SEARCH_URL not set'],
    [{ ...FULL_ENV, SPW_TEST_KAFKA_MAIN: '' }, 'SPW_TEST_KAFKA_MAIN not set'],
  ])('is not chosen with %j and says which variable is missing', async (env, missing) => {
    const a = await envProvider(env, { kafka: up, search: up }).detect();
    expect(a).toEqual({
      available: false,
      reason: `${missing} (SPW_TEST_KAFKA_MAIN, SPW_TEST_KAFKA_AUX, SPW_TEST_SEARCH_URL are needed together)`,
    });
  });

  it('probes every endpoint and hands them over, the search URL without its trailing slash', async () => {
    const probed: string[] = [];
    const probe = async (target: string) => {
      probed.push(target);
      return true;
    };
    const started = await envProvider(FULL_ENV, { kafka: probe, search: probe }).start();
    expect(probed).toEqual(['kafka-a:9092', 'kafka-b:9092', 'http://search:9200']);
    expect(started.endpoints).toEqual({
      kafkaMain: 'kafka-a:9092',
      kafkaAux: 'kafka-b:9092',
      searchUrl: 'http://search:9200',
      searchEngine: 'unknown',
    });
  });

  it('fails the run, naming each endpoint that does not answer, instead of falling back', async () => {
    const provider = envProvider(FULL_ENV, {
      kafka: async (t) => t !== 'kafka-b:9092',
      search: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    await expect(provider.start()).rejects.toThrow(
      'test infrastructure from the environment does not answer within 5000 ms: SPW_TEST_KAFKA_AUX=kafka-b:9092, SPW_TEST_SEARCH_URL=http://search:9200/; fix or unset these variables',
    );
  });

  it('names exactly the three documented variables', () => {
    expect(Object.values(ENV_VARS)).toEqual(['SPW_TEST_KAFKA_MAIN', 'SPW_TEST_KAFKA_AUX', 'SPW_TEST_SEARCH_URL']);
  });
});

describe('detectWithin', () => {
  it('reports a detector that answers false, rejects, or hangs as unreachable', async () => {
    expect(await detectWithin(async () => true, 100)).toEqual({
      reachable: true,
      reason: 'a Docker engine is reachable',
    });
    expect(await detectWithin(async () => false, 100)).toEqual({ reachable: false, reason: 'no Docker engine found' });
    expect(
      await detectWithin(async () => {
        throw new Error('socket closed');
      }, 100),
    ).toEqual({ reachable: false, reason: 'no Docker engine: socket closed' });
    expect(await detectWithin(() => new Promise(() => {}), 50)).toEqual({
      reachable: false,
      reason: 'no answer from a container engine within 50 ms',
    });
  });
});
