import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../config/load.ts';
import { isSpillwayError } from '../../../core/errors.ts';
import { baseDocument } from './fixtures.ts';

// biome-ignore lint/suspicious/noExplicitAny: test documents are free-form on purpose
type Doc = Record<string, any>;

function problems(doc: unknown): string[] {
  try {
    validateConfig(doc, 'test.yaml', { env: {} });
  } catch (err) {
    if (isSpillwayError(err, 'SPW_ERR_CONFIG_INVALID')) return err.message.split('\n').slice(1);
    throw err;
  }
  throw new Error('expected the config to be refused');
}

const HOT =
  'on a hot path (deadlines propagate to callers and a stuck request holds in-flight slots; fail fast and retry instead)';

const cases: [string, (d: Doc) => unknown, string[]][] = [
  [
    'no clusters',
    (d) => {
      d.clusters = [];
    },
    ['clusters: expected at least 1 item, found an empty list'],
  ],
  [
    'uppercase cluster name',
    (d) => {
      d.clusters[1].name = 'Aux';
      d.pools.C = ['main'];
    },
    [
      'clusters[1].name: expected a cluster name of 1-48 lowercase letters, digits or "-", found "Aux"',
      'pools.S[1]: expected a cluster defined in clusters (main, Aux), found "aux"; did you mean "Aux"?',
    ],
  ],
  [
    'broker without port',
    (d) => {
      d.clusters[0].brokers = ['localhost'];
    },
    ['clusters[0].brokers[0]: expected a broker address "host:port", found "localhost"'],
  ],
  [
    'zero partition budget',
    (d) => {
      d.clusters[0].partitionBudget = 0;
    },
    ['clusters[0].partitionBudget: expected at least 1, found 0'],
  ],
  [
    'fractional partition budget',
    (d) => {
      d.clusters[0].partitionBudget = 1.5;
    },
    ['clusters[0].partitionBudget: expected an integer, found 1.5'],
  ],
  [
    'timeout as a string',
    (d) => {
      d.clusters[0].connectTimeoutMs = '3s';
    },
    ['clusters[0].connectTimeoutMs: expected a number, found "3s"'],
  ],
  [
    'kafka request timeout too long',
    (d) => {
      d.clusters[0].requestTimeoutMs = 60000;
    },
    [`clusters[0].requestTimeoutMs: expected at most 30000 ms ${HOT}, found 60000`],
  ],
  [
    'connect timeout above request timeout',
    (d) => {
      d.clusters[0].connectTimeoutMs = 20000;
      d.clusters[0].requestTimeoutMs = 10000;
    },
    ['clusters[0].connectTimeoutMs: expected at most clusters[0].requestTimeoutMs (10000), found 20000'],
  ],
  [
    'duplicate cluster names',
    (d) => {
      d.clusters[1].name = 'main';
    },
    [
      'clusters[1].name: expected a unique cluster name, found "main", already used by clusters[0]',
      'pools.S[1]: expected a cluster defined in clusters (main, main), found "aux"',
      'pools.C[0]: expected a cluster defined in clusters (main, main), found "aux"',
    ],
  ],
  [
    'misspelt cluster key',
    (d) => {
      d.clusters[0].brokerz = ['a:1'];
    },
    ['clusters[0].brokerz: unknown key; did you mean "brokers"?'],
  ],
  [
    'bad sasl mechanism',
    (d) => {
      d.clusters[0].security = { sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } };
    },
    ['clusters[0].security.sasl.mechanism: expected one of "plain", "scram-sha-512", found "gssapi"'],
  ],
  [
    'missing pool tier',
    (d) => {
      delete d.pools.C;
    },
    ['pools.C: expected a list, found nothing (the key is required)'],
  ],
  [
    'empty pool tier',
    (d) => {
      d.pools.A = [];
    },
    ['pools.A: expected at least one cluster name, found an empty list'],
  ],
  [
    'pool names a missing cluster',
    (d) => {
      d.pools.B = ['mian'];
    },
    ['pools.B[0]: expected a cluster defined in clusters (main, aux), found "mian"; did you mean "main"?'],
  ],
  [
    'gutter names a missing cluster',
    (d) => {
      d.pools.gutter = 'spare';
    },
    ['pools.gutter: expected a cluster defined in clusters (main, aux), found "spare"'],
  ],
  [
    'cluster twice in a pool',
    (d) => {
      d.pools.S = ['main', 'main'];
    },
    ['pools.S[1]: expected each cluster at most once per pool, found "main" again'],
  ],
  [
    'level in no class',
    (d) => {
      d.channels = { levelClasses: { error: ['fatal', 'error'], warn: ['warn'], info: ['info', 'trace'] } };
    },
    [
      'channels.levelClasses: expected every level (trace, debug, info, warn, error, fatal) in exactly one class, found "debug" in no class',
    ],
  ],
  [
    'level in two classes',
    (d) => {
      d.channels = {
        levelClasses: { error: ['fatal', 'error', 'warn'], warn: ['warn'], info: ['info', 'debug', 'trace'] },
      };
    },
    [
      'channels.levelClasses: expected every level (trace, debug, info, warn, error, fatal) in exactly one class, found "warn" in 2 classes (error, warn)',
    ],
  ],
  [
    'bad level class name',
    (d) => {
      d.channels = { levelClasses: { Errors: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] } };
    },
    [
      'channels.levelClasses.Errors: expected a level class name of 1-32 lowercase letters, digits or "-", found "Errors"',
    ],
  ],
  [
    'unknown level',
    (d) => {
      d.channels = { levelClasses: { all: ['fatal', 'error', 'warn', 'info', 'debug', 'verbose'] } };
    },
    [
      'channels.levelClasses.all[5]: expected one of "trace", "debug", "info", "warn", "error", "fatal", found "verbose"',
    ],
  ],
  [
    'zero hash buckets',
    (d) => {
      d.channels = { hashBuckets: 0 };
    },
    ['channels.hashBuckets: expected at least 1, found 0'],
  ],
  [
    'bad logId',
    (d) => {
      d.logIds[0].id = 'pay ments';
    },
    ['logIds[0].id: expected a logId of 1-64 letters, digits, "_" or "-", found "pay ments"'],
  ],
  [
    'bad importance',
    (d) => {
      d.logIds[0].importance = 'D';
    },
    ['logIds[0].importance: expected one of "S", "A", "B", "C", found "D"'],
  ],
  [
    'logId names a missing sink',
    (d) => {
      d.logIds[0].sinks = ['serch'];
    },
    ['logIds[0].sinks[0]: expected a sink defined in sinks (search, archive), found "serch"; did you mean "search"?'],
  ],
  [
    'duplicate logId',
    (d) => {
      d.logIds.push({ ...d.logIds[0] });
    },
    ['logIds[2].id: expected a unique logId, found "payments", already used by logIds[0]'],
  ],
  [
    'incomplete per-logId level classes',
    (d) => {
      d.logIds[0].levelClasses = { loud: ['fatal', 'error', 'warn'], quiet: ['info', 'debug'] };
    },
    [
      'logIds[0].levelClasses: expected every level (trace, debug, info, warn, error, fatal) in exactly one class, found "trace" in no class',
    ],
  ],
  [
    'logId without owner',
    (d) => {
      delete d.logIds[0].owner;
    },
    ['logIds[0].owner: expected a string, found nothing (the key is required)'],
  ],
  [
    'negative quota',
    (d) => {
      d.logIds[0].quota = { recordsPerSec: -1, bytesPerSec: 1000 };
    },
    ['logIds[0].quota.recordsPerSec: expected more than 0, found -1'],
  ],
  [
    'fallback logId missing',
    (d) => {
      d.logIds.pop();
    },
    [
      'router.fallbackLogId: expected a logId defined in logIds (records with an unconfigured logId are placed as this logId), found "unknown"; add a logIds entry with id "unknown"',
    ],
  ],
  [
    'custom fallback logId missing',
    (d) => {
      d.router = { fallbackLogId: 'orphans' };
    },
    [
      'router.fallbackLogId: expected a logId defined in logIds (records with an unconfigured logId are placed as this logId), found "orphans"; add a logIds entry with id "orphans"',
    ],
  ],
  [
    'unknown sink type',
    (d) => {
      d.sinks[1].type = 'smtp';
    },
    ['sinks[1].type: expected one of "elasticsearch", "opensearch", "file", "http", "blackhole", found "smtp"'],
  ],
  [
    'bad sink name',
    (d) => {
      d.sinks[1].name = 'Archive_1';
      d.logIds[1].sinks = ['Archive_1'];
    },
    ['sinks[1].name: expected a sink name of 1-48 lowercase letters, digits or "-", found "Archive_1"'],
  ],
  [
    'duplicate sink names',
    (d) => {
      d.sinks[1].name = 'search';
      d.logIds[1].sinks = ['search'];
    },
    ['sinks[1].name: expected a unique sink name, found "search", already used by sinks[0]'],
  ],
  [
    'misspelt batch key',
    (d) => {
      d.sinks[0].batch = { lingerMS: 100 };
    },
    ['sinks[0].batch.lingerMS: unknown key; did you mean "lingerMs"?'],
  ],
  [
    'linger not below request timeout',
    (d) => {
      d.sinks[1].batch = { lingerMs: 5000 };
      d.sinks[1].requestTimeoutMs = 5000;
    },
    ['sinks[1].batch.lingerMs: expected less than sinks[1].requestTimeoutMs (5000), found 5000'],
  ],
  [
    'sink request timeout too long',
    (d) => {
      d.sinks[0].requestTimeoutMs = 45000;
    },
    [`sinks[0].requestTimeoutMs: expected at most 30000 ms ${HOT}, found 45000`],
  ],
  [
    'search node not a URL',
    (d) => {
      d.sinks[0].nodes = ['127.0.0.1:9200 '];
    },
    ['sinks[0].nodes[0]: expected an http(s) URL, found "127.0.0.1:9200 "'],
  ],
  [
    'search auth of neither form',
    (d) => {
      d.sinks[0].auth = { username: 'u' };
    },
    ['sinks[0].auth: expected either {username, password} or {apiKey}, found an object'],
  ],
  [
    'bad file compression',
    (d) => {
      d.sinks[1].compression = 'bz2';
    },
    ['sinks[1].compression: expected one of "gzip", "zstd", "none", found "bz2"'],
  ],
  [
    'bad http format',
    (d) => {
      d.sinks.push({ type: 'http', name: 'hook', url: 'http://x/', format: 'xml' });
    },
    ['sinks[2].format: expected one of "json", "ndjson", found "xml"'],
  ],
  [
    'http sink without url',
    (d) => {
      d.sinks.push({ type: 'http', name: 'hook' });
    },
    ['sinks[2].url: expected an http(s) URL, found nothing (the key is required)'],
  ],
  [
    'sink gutter on a missing cluster',
    (d) => {
      d.sinks[0].gutter = { cluster: 'gutter' };
    },
    ['sinks[0].gutter.cluster: expected a cluster defined in clusters (main, aux), found "gutter"'],
  ],
  [
    'throttle K below 1',
    (d) => {
      d.sinks[0].gutter = { throttleK: 0.5 };
    },
    ['sinks[0].gutter.throttleK: expected at least 1, found 0.5'],
  ],
  [
    'file sink option on a search sink',
    (d) => {
      d.sinks[0].directory = '/tmp';
    },
    ['sinks[0].directory: unknown key'],
  ],
  [
    'unknown agent input type',
    (d) => {
      d.agent = { inputs: [{ type: 'kafka' }] };
    },
    ['agent.inputs[0].type: expected one of "http", "tcp", "syslog", "file", "kubernetes", "stdin", found "kafka"'],
  ],
  [
    'text input: unknown format, a level pattern without a group, a broken multiline pattern',
    (d) => {
      d.agent = {
        inputs: [
          { type: 'file', include: ['/x/*.log'], format: 'csv' },
          { type: 'file', include: ['/y/*.log'], levelPattern: 'ERROR|WARN' },
          { type: 'tcp', multiline: { pattern: '([a-z' } },
        ],
      };
    },
    [
      'agent.inputs[0].format: expected one of "auto", "json", "text", found "csv"',
      'agent.inputs[1].levelPattern: expected a regular expression with a capturing group around the level word, found "ERROR|WARN"',
      'agent.inputs[2].multiline.pattern: expected a regular expression (Invalid regular expression: /([a-z/: Unterminated character class), found "([a-z"',
    ],
  ],
  [
    'multiline with both a preset and a pattern, logIdFromPath without {logId}, duplicate input names',
    (d) => {
      d.agent = {
        inputs: [
          { type: 'file', name: 'app', include: ['/x/*.log'], multiline: { preset: 'stacktrace', pattern: '^\\s' } },
          { type: 'file', name: 'app', include: ['/y/*.log'], logIdFromPath: '/var/log/*/app.log' },
        ],
      };
    },
    [
      'agent.inputs[0].multiline: expected exactly one of preset: stacktrace or pattern, found an object',
      'agent.inputs[1].logIdFromPath: expected a glob with {logId} once (e.g. /var/log/{logId}/*.log) or a regular expression with a group (?<logId>…), found "/var/log/*/app.log"',
      'agent.inputs: expected unique input names ("app" is used twice), found a list of 2 items',
    ],
  ],
  [
    'kubernetes input: unknown placeholder in the logId template',
    (d) => {
      d.agent = { inputs: [{ type: 'kubernetes', logId: '{namespace}-{app}' }] };
    },
    [
      'agent.inputs[0].logId: expected a logId template of {namespace}, {pod}, {container} or {containerId} and letters, digits, "_" or "-", found "{namespace}-{app}"',
    ],
  ],
  [
    'bad uplink compression',
    (d) => {
      d.agent = { uplink: { compression: 'lz4' } };
    },
    ['agent.uplink.compression: expected one of "zstd", "gzip", "none", found "lz4"'],
  ],
  [
    'uplink request timeout too long',
    (d) => {
      d.agent = { uplink: { requestTimeoutMs: 31000 } };
    },
    [`agent.uplink.requestTimeoutMs: expected at most 30000 ms ${HOT}, found 31000`],
  ],
  [
    'uplink batch above router body limit',
    (d) => {
      d.agent = { uplink: { batch: { maxBytes: 2_000_000 } } };
      d.router = { maxBodyBytes: 1_000_000 };
    },
    [
      'agent.uplink.batch.maxBytes: expected at most router.maxBodyBytes (1000000), or the router refuses the batch, found 2000000',
    ],
  ],
  [
    'produce timeout above request timeout',
    (d) => {
      d.router = { requestTimeoutMs: 5000, produceTimeoutMs: 8000 };
    },
    [
      "router.produceTimeoutMs: expected at most router.requestTimeoutMs (5000), since the produce runs inside the request's deadline, found 8000",
    ],
  ],
  [
    'router hot path timeout too long',
    (d) => {
      d.router = { produceTimeoutMs: 120000 };
    },
    [`router.produceTimeoutMs: expected at most 30000 ms ${HOT}, found 120000`],
  ],
  [
    'short router token (value not shown)',
    (d) => {
      d.router = { tokens: [{ agent: 'edge', token: 'short' }] };
    },
    ['router.tokens[0].token: expected at least 16 characters, found ***'],
  ],
  [
    'monitor port out of range',
    (d) => {
      d.monitor = { listen: { port: 70000 } };
    },
    ['monitor.listen.port: expected at most 65535, found 70000'],
  ],
  [
    'idle timeout above ten minutes',
    (d) => {
      d.router = { idleTimeoutMs: 3_600_000 };
    },
    [
      'router.idleTimeoutMs: expected at most 600000 ms (10 minutes); a longer wait is a hang, not a timeout, found 3600000',
    ],
  ],
  [
    'misspelt top-level section',
    (d) => {
      d.sink = d.sinks;
    },
    ['sink: unknown key; did you mean "sinks"?'],
  ],
  [
    'unknown key without a suggestion',
    (d) => {
      d.colour = 'blue';
    },
    ['colour: unknown key'],
  ],
  [
    'partition budget exceeded',
    (d) => {
      d.clusters[0].partitionBudget = 10;
    },
    [
      'clusters[0].partitionBudget: expected at least 15 (the partitions the placement plan puts on cluster "main"), found 10; raise the budget, or lower channels.hashBuckets / partitionsPerTopic, or add clusters to the pools',
    ],
  ],
  [
    'escaped placeholder left in a secret',
    (d) => {
      d.sinks[0].auth = { apiKey: '$${SEARCH_KEY}' };
    },
    [
      'sinks[0].auth.apiKey: expected a resolved secret, found a value containing a literal "${" (written as $${); set the secret through ${NAME} instead',
    ],
  ],
  ['document is a list', () => [], ['(root): expected an object, found an empty list']],
];

describe('bad configs: each gets exactly its problem lines', () => {
  it('has at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });
  it.each(cases)('%s', (_name, mutate, expected) => {
    const doc = baseDocument();
    const replaced = mutate(doc);
    expect(problems(replaced === undefined ? doc : replaced)).toEqual(expected);
  });
});
