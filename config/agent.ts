/** The edge agent: inputs, the uplink to the router, the disk spool, and the origin stamped on records. */
import { z } from 'zod';
import { checkLogIdTemplate, TEMPLATE_EXPECTED } from '../agent/parse/container-log.ts';
import { levelPatternProblem } from '../agent/parse/line-judge.ts';
import { checkPathPattern, PATH_PATTERN_EXPECTED } from '../agent/parse/path-log-id.ts';
import { batchSchema, doc, hotPathTimeoutMs, listenSchema, timeoutMs } from './common.ts';
import { logIdSchema } from './log-id.ts';

/** Fluent Bit's http input port (9880); familiar to operators. */
export const DEFAULT_AGENT_HTTP_PORT = 9880;
/** Fluent Bit's tcp input port (5170). */
export const DEFAULT_AGENT_TCP_PORT = 5170;
/** 514 needs root; 5514 is the customary unprivileged syslog port. */
export const DEFAULT_AGENT_SYSLOG_PORT = 5514;
/** 1 MiB bodies: about 2000 typical log lines, well under the router's maxBodyBytes. */
export const DEFAULT_UPLINK_BATCH = { maxRecords: 2000, maxBytes: 1_048_576, lingerMs: 200 };
/** The router answers within produceTimeoutMs plus overhead; 10 s leaves room without holding batches long. */
export const DEFAULT_UPLINK_REQUEST_TIMEOUT_MS = 10_000;
/** Connecting to a router in the same zone takes milliseconds; 3 s allows one SYN retransmit (1 s) and more. */
export const DEFAULT_UPLINK_CONNECT_TIMEOUT_MS = 3_000;
/** 1 GiB of spool rides out about an hour of router outage at 300 KB/s. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;
/** Same as the router's default listen port. */
export const DEFAULT_UPLINK_URL = 'http://127.0.0.1:7070';

const defaultLogId = doc(
  logIdSchema.optional(),
  'logId for records that do not carry one (plain-text lines).',
  'legacy-app',
);

/** A regular expression in the config, checked when the file is loaded so a typo names itself. */
function regexSchema() {
  return z.string().superRefine((v, ctx) => {
    try {
      new RegExp(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `expected a regular expression (${(err as Error).message})` });
    }
  });
}

const name = doc(
  z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected 1-64 letters, digits, "_", "." or "-"')
    .optional(),
  'Name of this input in metrics and logs (`input` label). Defaults to `<type>-<position>`, e.g. `file-2`.',
  'app-logs',
);

const format = doc(
  z.enum(['auto', 'json', 'text']).default('auto'),
  'How lines are read: `json` (one JSON object per line, anything else is rejected), `text` (plain-text lines: msg = the line, time and level taken from it), or `auto` (a JSON object is JSON, anything else text).',
  'auto',
);

const levelPattern = doc(
  z
    .string()
    .superRefine((v, ctx) => {
      const problem = levelPatternProblem(v);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `expected ${problem}` });
    })
    .optional(),
  'Text lines: regular expression whose first group (or group named `level`) is the level word. Default: the first FATAL, CRITICAL, ERROR, WARN, WARNING, INFO, DEBUG or TRACE as an upper-case word.',
  'level=(\\w+)',
);

const multilineObject = z
  .object({
    preset: doc(
      z.literal('stacktrace').optional(),
      'Use the stack-trace rule (Java, Python, Node); no pattern needed.',
      'stacktrace',
    ),
    pattern: doc(regexSchema().optional(), 'A line joins when it matches (see negate).', '^\\d{4}-\\d{2}-\\d{2}'),
    negate: doc(z.boolean().default(false), 'A line joins when it does NOT match the pattern.', true),
    match: doc(
      z.enum(['after', 'before']).default('after'),
      '`after`: a joining line is appended to the line before it; `before`: it continues into the next line.',
      'after',
    ),
    maxLines: doc(z.number().int().min(1).default(500), 'Lines per message; more start a new message.', 500),
    maxBytes: doc(
      z.number().int().min(1024).max(1_048_576).optional(),
      'Bytes per message, at most the longest line the agent takes (1 MiB, the default); more start a new message.',
      1_048_576,
    ),
    timeoutMs: doc(
      z.number().int().min(0).default(1_000),
      'A message waits this long for its next line before it is sent.',
      1_000,
    ),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.preset === undefined) === (m.pattern === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of preset: stacktrace or pattern' });
    }
  });
const multiline = doc(
  z.union([z.literal('stacktrace'), multilineObject]).optional(),
  'Join the lines of one event (a stack trace) into one record: `stacktrace`, or Filebeat-style pattern / negate / match.',
  'stacktrace',
);

const textOptions = { format, levelPattern, multiline };

const httpInput = z
  .object({
    type: doc(z.literal('http'), 'Input type.', 'http'),
    name,
    listen: listenSchema(DEFAULT_AGENT_HTTP_PORT),
    defaultLogId,
  })
  .strict();
const tcpInput = z
  .object({
    type: doc(z.literal('tcp'), 'Input type: newline-delimited JSON or text over TCP.', 'tcp'),
    name,
    listen: listenSchema(DEFAULT_AGENT_TCP_PORT),
    defaultLogId,
    ...textOptions,
  })
  .strict();
const syslogInput = z
  .object({
    type: doc(z.literal('syslog'), 'Input type: RFC 5424 / RFC 3164 syslog.', 'syslog'),
    name,
    listen: listenSchema(DEFAULT_AGENT_SYSLOG_PORT),
    protocol: doc(z.enum(['udp', 'tcp']).default('udp'), 'Transport.', 'udp'),
    defaultLogId,
  })
  .strict();
const fileInput = z
  .object({
    type: doc(z.literal('file'), 'Input type: tail files.', 'file'),
    name,
    include: doc(z.array(z.string().min(1)).min(1), 'Globs of files to tail.', ['/var/log/app/*.log']),
    exclude: doc(z.array(z.string().min(1)).default([]), 'Globs to skip.', ['/var/log/app/*.gz']),
    startAt: doc(
      z.enum(['beginning', 'end']).default('end'),
      'Where to start in a file seen for the first time.',
      'end',
    ),
    defaultLogId,
    logIdFromPath: doc(
      z
        .string()
        .min(1)
        .superRefine((v, ctx) => {
          if (checkPathPattern(v) !== undefined)
            ctx.addIssue({ code: 'custom', message: `expected ${PATH_PATTERN_EXPECTED}` });
        })
        .optional(),
      'Take the logId from the file path: a glob with `{logId}` where the logId is (`/var/log/{logId}/*.log`), or a regular expression with a group named logId. Falls back to defaultLogId when it does not match.',
      '/var/log/{logId}/*.log',
    ),
    ...textOptions,
  })
  .strict();
const kubernetesInput = z
  .object({
    type: doc(
      z.literal('kubernetes'),
      'Input type: Kubernetes container logs (CRI and Docker json-file formats) with pod metadata from the file names.',
      'kubernetes',
    ),
    name,
    include: doc(
      z.array(z.string().min(1)).min(1).default(['/var/log/containers/*.log']),
      'Globs of container log files (kubelet keeps symlinks in /var/log/containers).',
      ['/var/log/containers/*.log'],
    ),
    exclude: doc(z.array(z.string().min(1)).default([]), 'Globs to skip.', ['/var/log/containers/*_kube-system_*.log']),
    startAt: doc(
      z.enum(['beginning', 'end']).default('end'),
      'Where to start in a file present at start-up; files of new containers are read from the beginning.',
      'end',
    ),
    logId: doc(
      z
        .string()
        .min(1)
        .default('{namespace}-{container}')
        .superRefine((v, ctx) => {
          if (checkLogIdTemplate(v) !== undefined) {
            ctx.addIssue({
              code: 'custom',
              message: `expected a logId template of ${TEMPLATE_EXPECTED} and letters, digits, "_" or "-"`,
            });
          }
        }),
      'The logId of a container\'s records, from {namespace}, {pod}, {container} and {containerId}; characters a logId cannot have become "-". A record\'s own logId field wins.',
      '{namespace}-{container}',
    ),
    defaultLogId,
    ...textOptions,
  })
  .strict();
const stdinInput = z
  .object({
    type: doc(z.literal('stdin'), 'Input type: read lines from standard input.', 'stdin'),
    name,
    defaultLogId,
    ...textOptions,
  })
  .strict();

export const agentInputSchema = z.discriminatedUnion('type', [
  httpInput,
  tcpInput,
  syslogInput,
  fileInput,
  kubernetesInput,
  stdinInput,
]);

export const agentSchema = z
  .object({
    inputs: doc(
      z
        .array(agentInputSchema)
        .default([{ type: 'stdin', format: 'auto' }])
        .superRefine((inputs, ctx) => {
          const seen = new Set<string>();
          for (const [n, i] of inputs.entries()) {
            const name = inputName(i, n);
            if (seen.has(name)) {
              ctx.addIssue({ code: 'custom', message: `expected unique input names ("${name}" is used twice)` });
            }
            seen.add(name);
          }
        }),
      'Where the agent reads records from.',
      [{ type: 'http', listen: { port: DEFAULT_AGENT_HTTP_PORT } }],
    ),
    uplink: doc(
      z
        .object({
          url: doc(z.url().default(DEFAULT_UPLINK_URL), 'Router base URL.', DEFAULT_UPLINK_URL),
          token: doc(
            z.string().min(1).optional(),
            'Bearer token; must match one of router.tokens.',
            '${SPW_AGENT_TOKEN}',
          ),
          compression: doc(z.enum(['zstd', 'gzip', 'none']).default('zstd'), 'Body compression.', 'zstd'),
          batch: batchSchema(DEFAULT_UPLINK_BATCH, 'records per request to the router'),
          connectTimeoutMs: timeoutMs(
            DEFAULT_UPLINK_CONNECT_TIMEOUT_MS,
            'Give up connecting to the router after this long.',
          ),
          requestTimeoutMs: hotPathTimeoutMs(
            DEFAULT_UPLINK_REQUEST_TIMEOUT_MS,
            'Give up on one request to the router after this long.',
          ),
        })
        .strict()
        .prefault({}),
      'How batches reach the router.',
      { url: DEFAULT_UPLINK_URL, compression: 'zstd' },
    ),
    spool: doc(
      z
        .object({
          directory: doc(
            z.string().min(1).default('.spillway/spool'),
            'Where unacknowledged batches wait on disk.',
            '/var/lib/spillway/spool',
          ),
          maxBytes: doc(
            z.number().int().min(1_048_576).default(DEFAULT_SPOOL_MAX_BYTES),
            'Spool size limit; beyond it the agent sheds by criticality.',
            DEFAULT_SPOOL_MAX_BYTES,
          ),
          fsync: doc(
            z.enum(['always', 'interval', 'never']).default('interval'),
            'When spool writes are fsynced: every batch, once a second, or never.',
            'interval',
          ),
        })
        .strict()
        .prefault({}),
      'Disk spool that keeps batches across router outages and restarts.',
      { directory: '/var/lib/spillway/spool' },
    ),
    origin: doc(
      z
        .object({
          region: doc(z.string().min(1).default('local'), 'Region stamped on every record.', 'eu-west'),
          zone: doc(z.string().min(1).default('local-1'), 'Zone stamped on every record.', 'eu-west-1a'),
          cluster: doc(z.string().min(1).default('local'), 'Cluster stamped on every record.', 'k8s-prod-3'),
          appId: doc(z.string().min(1).default('unknown'), 'Application id stamped on every record.', 'checkout'),
        })
        .strict()
        .prefault({}),
      'Where records come from: region.zone.cluster.appId.',
      { region: 'eu-west', zone: 'eu-west-1a', cluster: 'k8s-prod-3', appId: 'checkout' },
    ),
  })
  .strict()
  .prefault({});

export type AgentConfig = z.output<typeof agentSchema>;

/** An input's name in metrics, logs and its checkpoint file: its own, or `<type>-<position>` (position from 1). */
export function inputName(input: { readonly type: string; readonly name?: string | undefined }, index: number): string {
  return input.name ?? `${input.type}-${index + 1}`;
}
