/**
 * docker-compose.yml, checked without Docker: it parses, every image is pinned, every
 * service has a healthcheck and a restart policy, data sits on named volumes, and the
 * compose file and the config it mounts (examples/compose.yaml, through the real loader)
 * agree on brokers, ports, URLs, topics and volumes.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HELP, main } from '../../../cli/main.ts';
import { loadConfig, type SpillwayConfig } from '../../../config/load.ts';
import {
  bindMounts,
  type ComposeFile,
  type ComposeService,
  flagValue,
  healthcheckUrl,
  isPinned,
  namedMounts,
  parseCompose,
  publishedContainerPorts,
  ROOT,
  readRepoFile,
  resolveEnv,
  tagOf,
} from './deploy-files.ts';

const pkg = JSON.parse(readRepoFile('package.json')) as { version: string };
const compose: ComposeFile = parseCompose(readRepoFile('docker-compose.yml'));
const services = Object.entries(compose.services);
const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
};

/** Services running the spillway image with its `spillway` entrypoint. */
const spillwayServices = services.filter(([, s]) => s.image?.startsWith('spillway:') && s.entrypoint === undefined);
const byCommand = (command: string) => spillwayServices.filter(([, s]) => s.command?.[0] === command);
const kafkaServices = services.filter(([, s]) => s.image?.startsWith('apache/kafka:'));

/** Services other services wait for to exit successfully (one-shot jobs). */
const oneShots = new Set(
  services.flatMap(([, s]) =>
    Object.entries(s.depends_on ?? {})
      .filter(([, d]) => d.condition === 'service_completed_successfully')
      .map(([name]) => name),
  ),
);

/** The CLI's subcommands, as `spillway --help` lists them. */
const cliCommands = HELP.split('Commands:\n')[1]!
  .split('\n\n')[0]!
  .split('\n')
  .map((l) => l.trim().split(/\s+/)[0]!);

let config: SpillwayConfig;
beforeAll(async () => {
  // Every spillway service mounts the same file with the same environment (checked below).
  config = await loadConfig(path.join(ROOT, 'examples/compose.yaml'), {
    env: resolveEnv(service('router').environment),
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('the pinning rule', () => {
  it.each([
    ['apache/kafka:4.1.1', true],
    ['docker.elastic.co/elasticsearch/elasticsearch:9.5.2', true],
    ['node:24.21.0-slim', true],
    [`spillway@sha256:${'a'.repeat(64)}`, true],
    ['apache/kafka', false],
    ['apache/kafka:latest', false],
    ['apache/kafka:4', false],
    ['apache/kafka:4.1', false],
    ['node:24-slim', false],
    ['localhost:5000/spillway', false],
  ])('%s pinned: %s', (image, pinned) => {
    expect(isPinned(image)).toBe(pinned);
  });
});

describe('docker-compose.yml', () => {
  it('parses, with services and named volumes', () => {
    expect(services.length).toBeGreaterThan(0);
    expect(Object.keys(compose.volumes ?? {}).length).toBeGreaterThan(0);
  });

  it('runs the issue #7 topology: two Kafka clusters, Elasticsearch, Kibana, router, sinks, monitor, an agent, a sample service', () => {
    expect(kafkaServices.map(([n]) => n)).toEqual(['kafka-main', 'kafka-aux']);
    expect(tagOf(service('kafka-main').image!)).toMatch(/^4\./);
    expect(service('elasticsearch').image).toMatch(/^docker\.elastic\.co\/elasticsearch\/elasticsearch:9\./);
    expect(service('kibana').image).toMatch(/^docker\.elastic\.co\/kibana\/kibana:9\./);
    expect(byCommand('router')).toHaveLength(1);
    expect(byCommand('monitor')).toHaveLength(1);
    expect(byCommand('agent')).toHaveLength(1);
    expect(byCommand('sink').length).toBeGreaterThan(0);
    expect(service('sample-service').entrypoint).toEqual(['node', 'examples/sample-service.ts']);
  });

  it('pins every image to one exact release; Kibana matches Elasticsearch; the app image matches package.json', () => {
    const unpinned = services.filter(([, s]) => !s.image || !isPinned(s.image)).map(([n, s]) => `${n}: ${s.image}`);
    expect(unpinned).toEqual([]);
    expect(tagOf(service('kibana').image!)).toBe(tagOf(service('elasticsearch').image!));
    for (const [name, s] of services.filter(([, s]) => s.image?.startsWith('spillway:'))) {
      expect(s.image, name).toBe(`spillway:${pkg.version}`);
      expect(s.build, `${name} builds the image from the Dockerfile`).toBe('.');
    }
  });

  it('gives every service a restart policy, and every long-running one a healthcheck', () => {
    for (const [name, s] of services) {
      if (oneShots.has(name)) {
        // Jobs others wait on: restarted only on failure; their exit status is their health.
        expect(s.restart, name).toMatch(/^on-failure(:\d+)?$/);
        continue;
      }
      expect(['always', 'unless-stopped'], `${name} restart: ${s.restart}`).toContain(s.restart);
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(s.healthcheck?.test?.length, `${name} has a healthcheck test`).toBeGreaterThan(0);
      for (const key of ['interval', 'timeout', 'retries'] as const)
        expect(s.healthcheck?.[key], `${name} ${key}`).toBeDefined();
    }
    expect([...oneShots]).toEqual(['topics']);
  });

  it('waits only on services that exist, for health only where there is a healthcheck', () => {
    for (const [name, s] of services) {
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (condition === 'service_healthy') expect(oneShots.has(dep), `${name} -> ${dep}`).toBe(false);
      }
    }
  });

  it('declares every named volume it mounts and mounts every one it declares', () => {
    const declared = Object.keys(compose.volumes ?? {}).sort();
    const used = [...new Set(services.flatMap(([, s]) => [...namedMounts(s).values()]))].sort();
    expect(used).toEqual(declared);
  });

  it('keeps Kafka, Elasticsearch and Kibana data on named volumes', () => {
    for (const [name, s] of kafkaServices) {
      expect(namedMounts(s).get(String(s.environment?.KAFKA_LOG_DIRS)), name).toBeDefined();
    }
    expect(namedMounts(service('elasticsearch')).get('/usr/share/elasticsearch/data')).toBeDefined();
    expect(namedMounts(service('kibana')).get('/usr/share/kibana/data')).toBeDefined();
  });

  it('publishes ports on the host loopback only', () => {
    const open = services.flatMap(([n, s]) =>
      (s.ports ?? []).filter((p) => !p.startsWith('127.0.0.1:')).map((p) => `${n}: ${p}`),
    );
    expect(open).toEqual([]);
  });

  it('gives each Kafka cluster a valid, distinct KRaft cluster id and a quorum of itself', () => {
    const ids = kafkaServices.map(([, s]) => String(s.environment?.CLUSTER_ID));
    expect(new Set(ids).size).toBe(ids.length);
    for (const [name, s] of kafkaServices) {
      const env = resolveEnv(s.environment);
      expect(Buffer.from(env.CLUSTER_ID!, 'base64url'), `${name} CLUSTER_ID is 16 bytes`).toHaveLength(16);
      const controllerPort = new RegExp(`${env.KAFKA_CONTROLLER_LISTENER_NAMES}://:(\\d+)`).exec(
        env.KAFKA_LISTENERS!,
      )?.[1];
      expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS, name).toBe(`${env.KAFKA_NODE_ID}@${name}:${controllerPort}`);
    }
  });
});

describe('docker-compose.yml runs real spillway commands', () => {
  it.each(spillwayServices.map(([n, s]) => [n, s.command ?? []] as const))('%s: %j', async (_name, command) => {
    expect(cliCommands).toContain(command[0]);
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.join(' '));
    });
    expect(await main([command[0]!, '--help'])).toBe(0);
    const help = printed.join('\n');
    for (const flag of command.filter((a) => a.startsWith('--'))) expect(help, `${command[0]} ${flag}`).toContain(flag);
  });
});

describe('docker-compose.yml and examples/compose.yaml agree', () => {
  it('every spillway service mounts the config it names, with one environment, and the real loader accepts it', async () => {
    const routerEnv = resolveEnv(service('router').environment);
    for (const [name, s] of spillwayServices) {
      const configPath = flagValue(s.command ?? [], '--config');
      expect(configPath, `${name} --config`).toBeDefined();
      expect(bindMounts(s).get(configPath!), `${name} mounts ${configPath}`).toBe('./examples/compose.yaml');
      expect(resolveEnv(s.environment), name).toEqual(routerEnv);
    }
    // The defaults in the file are the compose values, so `spillway config check
    // examples/compose.yaml` outside compose describes the same deployment.
    expect(await loadConfig(path.join(ROOT, 'examples/compose.yaml'), { env: {} })).toEqual(config);
  });

  it("names each cluster's brokers by the internal listener of its own Kafka service", () => {
    const clusterOfService = new Map<string, string>();
    for (const cluster of config.clusters) {
      for (const broker of cluster.brokers) {
        const [host, port] = broker.split(':') as [string, string];
        const s = compose.services[host];
        expect(s?.image, `${cluster.name} broker ${broker} is a Kafka service`).toMatch(/^apache\/kafka:/);
        const env = resolveEnv(s!.environment);
        const advertised = env.KAFKA_ADVERTISED_LISTENERS!.split(',');
        const listener = advertised.find((l) => l.endsWith(`://${host}:${port}`))?.split('://')[0];
        expect(listener, `${broker} is advertised by ${host}`).toBeDefined();
        expect(env.KAFKA_LISTENERS!.split(','), `${host} listens on ${port}`).toContain(`${listener}://:${port}`);
        const protocol = new Map(
          env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP!.split(',').map((p) => p.split(':') as [string, string]),
        );
        const sec = cluster.security;
        const expected = sec?.sasl ? (sec.tls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : sec?.tls ? 'SSL' : 'PLAINTEXT';
        expect(protocol.get(listener!), `${broker} protocol`).toBe(expected);
        expect(clusterOfService.get(host) ?? cluster.name, `${host} serves one cluster only`).toBe(cluster.name);
        clusterOfService.set(host, cluster.name);
      }
    }
    expect([...new Set(clusterOfService.keys())].sort()).toEqual(kafkaServices.map(([n]) => n).sort());
  });

  it("creates the plan's topics before anything uses them, within what the brokers can replicate", () => {
    for (const [name, s] of kafkaServices) {
      const env = resolveEnv(s.environment);
      const brokers = 1; // one KRaft node per cluster service
      expect(config.channels.replicationFactor, name).toBeLessThanOrEqual(brokers);
      expect(Number(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR), name).toBeLessThanOrEqual(brokers);
      // Without auto-creation only `topics ensure` creates topics, with the planned partitions.
      expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE, name).toBe('false');
    }
    const topics = byCommand('topics');
    expect(topics.map(([, s]) => s.command!.slice(0, 2))).toEqual([['topics', 'ensure']]);
    const [topicsName, topicsService] = topics[0]!;
    for (const kafka of kafkaServices.map(([n]) => n)) {
      expect(topicsService.depends_on?.[kafka]?.condition, `topics waits for ${kafka}`).toBe('service_healthy');
    }
    for (const [name, s] of [...byCommand('router'), ...byCommand('sink'), ...byCommand('monitor')]) {
      expect(s.depends_on?.[topicsName]?.condition, `${name} waits for topics`).toBe('service_completed_successfully');
    }
  });

  it('runs one sink service per configured sink, each probed on its own metrics port', () => {
    const sinkServices = byCommand('sink');
    const names = sinkServices.map(([, s]) => flagValue(s.command!, '--name'));
    expect(names.sort()).toEqual(config.sinks.map((s) => s.name).sort());
    for (const [name, s] of sinkServices) {
      const url = healthcheckUrl(s);
      expect(url?.hostname, name).toBe('127.0.0.1'); // the metrics server binds loopback
      expect(url?.port, name).toBe(flagValue(s.command!, '--metrics-port'));
    }
  });

  it('points the search sink at the Elasticsearch service, which Kibana reads too', () => {
    const search = config.sinks.filter((s) => s.type === 'elasticsearch' || s.type === 'opensearch');
    expect(search.length).toBeGreaterThan(0);
    for (const sink of search) {
      expect(sink.type, `${sink.name}: the compose engine is Elasticsearch`).toBe('elasticsearch');
      for (const node of sink.nodes) {
        const url = new URL(node);
        const s = compose.services[url.hostname];
        expect(s?.image, `${node} is a service`).toMatch(/elasticsearch:/);
        expect(url.port, `${node} port`).toBe(String(s!.environment?.['http.port'] ?? 9200));
        const security = String(s!.environment?.['xpack.security.enabled'] ?? 'true') === 'true';
        expect('auth' in sink && sink.auth !== undefined, `${sink.name} auth iff security is on`).toBe(security);
        expect(JSON.parse(String(service('kibana').environment?.ELASTICSEARCH_HOSTS))).toContain(
          node.replace(/\/$/, ''),
        );
      }
    }
    const searchSinkService = byCommand('sink').find(([, s]) =>
      search.some((x) => x.name === flagValue(s.command!, '--name')),
    );
    expect(searchSinkService?.[1].depends_on?.elasticsearch?.condition).toBe('service_healthy');
  });

  it("posts the http sink to the sample service's webhook", () => {
    for (const sink of config.sinks.filter((s) => s.type === 'http')) {
      const url = new URL(sink.url);
      const s = compose.services[url.hostname];
      expect(s, `${sink.url} is a service`).toBeDefined();
      expect(url.port).toBe(String(s!.environment?.SAMPLE_PORT));
      expect(healthcheckUrl(s!)?.port).toBe(url.port);
      expect(url.pathname).toBe('/ingest');
    }
  });

  it('publishes and probes the router, the monitor and the agent where the config makes them listen', () => {
    const [[, router]] = byCommand('router') as [[string, ComposeService]];
    expect(config.router.listen.host).toBe('0.0.0.0');
    expect(publishedContainerPorts(router)).toContain(config.router.listen.port);
    expect(healthcheckUrl(router)?.port).toBe(String(config.router.listen.port));
    expect(healthcheckUrl(router)?.pathname).toBe('/readyz');

    const [[, monitor]] = byCommand('monitor') as [[string, ComposeService]];
    expect(config.monitor.listen.host).toBe('0.0.0.0');
    expect(publishedContainerPorts(monitor)).toContain(config.monitor.listen.port);
    expect(healthcheckUrl(monitor)?.port).toBe(String(config.monitor.listen.port));

    const [[agentName, agent]] = byCommand('agent') as [[string, ComposeService]];
    const http = config.agent.inputs.find((i) => i.type === 'http');
    expect(http?.listen.host).toBe('0.0.0.0');
    expect(publishedContainerPorts(agent)).toContain(http!.listen.port);
    expect(healthcheckUrl(agent)?.port).toBe(String(http!.listen.port));
    expect(service('sample-service').environment?.SPILLWAY_AGENT_URL).toBe(`http://${agentName}:${http!.listen.port}`);
  });

  it('lets the monitor scrape the router, the agent and every sink where they serve /metrics', () => {
    const served = new Map<string, string>(); // service -> port its /metrics answers on, reachable from other containers
    for (const [name] of byCommand('router')) served.set(name, String(config.router.listen.port));
    const http = config.agent.inputs.find((i) => i.type === 'http');
    for (const [name] of byCommand('agent')) served.set(name, String(http!.listen.port));
    for (const [name, s] of byCommand('sink')) {
      expect(flagValue(s.command!, '--metrics-host'), `${name} --metrics-host`).toBe('0.0.0.0');
      served.set(name, flagValue(s.command!, '--metrics-port')!);
    }
    const targets = config.monitor.scrape.map((t) => new URL(t.url));
    for (const url of targets) {
      expect(served.get(url.hostname), `${url} is a service serving /metrics`).toBe(url.port);
      expect(url.pathname).toBe('/metrics');
    }
    expect(targets.map((u) => u.hostname).sort()).toEqual([...served.keys()].sort());
  });

  it('sends the agent to the router with a token the router accepts', () => {
    const [[routerName]] = byCommand('router') as [[string, ComposeService]];
    expect(config.agent.uplink.url).toBe(`http://${routerName}:${config.router.listen.port}`);
    expect(config.router.tokens.map((t) => t.token)).toContain(config.agent.uplink.token);
  });

  it("keeps the agent's spool and the file archive on named volumes, and shares the tailed log directory", () => {
    const [[, agent]] = byCommand('agent') as [[string, ComposeService]];
    expect(namedMounts(agent).get(config.agent.spool.directory), 'spool volume').toBeDefined();
    for (const sink of config.sinks.filter((s) => s.type === 'file')) {
      const [, s] = byCommand('sink').find(([, x]) => flagValue(x.command!, '--name') === sink.name)!;
      expect(namedMounts(s).get(sink.directory), `${sink.name} volume`).toBeDefined();
    }
    const sample = service('sample-service');
    const logFile = String(sample.environment?.SAMPLE_FILE_LOG);
    const tailed = config.agent.inputs.filter((i) => i.type === 'file').flatMap((i) => i.include);
    expect(
      tailed.some((glob) => path.matchesGlob(logFile, glob)),
      `${logFile} is tailed`,
    ).toBe(true);
    const dir = path.dirname(logFile);
    expect(namedMounts(agent).get(dir)).toBeDefined();
    expect(namedMounts(agent).get(dir)).toBe(namedMounts(sample).get(dir));
  });
});
