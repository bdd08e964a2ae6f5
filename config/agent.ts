/** The edge agent: inputs, the uplink to the router, the disk spool, and the origin stamped on records. */
import { z } from 'zod';
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

const httpInput = z
  .object({
    type: doc(z.literal('http'), 'Input type.', 'http'),
    listen: listenSchema(DEFAULT_AGENT_HTTP_PORT),
    defaultLogId,
  })
  .strict();
const tcpInput = z
  .object({
    type: doc(z.literal('tcp'), 'Input type: newline-delimited JSON or text over TCP.', 'tcp'),
    listen: listenSchema(DEFAULT_AGENT_TCP_PORT),
    defaultLogId,
  })
  .strict();
const syslogInput = z
  .object({
    type: doc(z.literal('syslog'), 'Input type: RFC 5424 / RFC 3164 syslog.', 'syslog'),
    listen: listenSchema(DEFAULT_AGENT_SYSLOG_PORT),
    protocol: doc(z.enum(['udp', 'tcp']).default('udp'), 'Transport.', 'udp'),
    defaultLogId,
  })
  .strict();
const fileInput = z
  .object({
    type: doc(z.literal('file'), 'Input type: tail files.', 'file'),
    include: doc(z.array(z.string().min(1)).min(1), 'Globs of files to tail.', ['/var/log/app/*.log']),
    exclude: doc(z.array(z.string().min(1)).default([]), 'Globs to skip.', ['/var/log/app/*.gz']),
    startAt: doc(
      z.enum(['beginning', 'end']).default('end'),
      'Where to start in a file seen for the first time.',
      'end',
    ),
    defaultLogId,
  })
  .strict();
const stdinInput = z
  .object({ type: doc(z.literal('stdin'), 'Input type: read lines from standard input.', 'stdin'), defaultLogId })
  .strict();

export const agentInputSchema = z.discriminatedUnion('type', [httpInput, tcpInput, syslogInput, fileInput, stdinInput]);

export const agentSchema = z
  .object({
    inputs: doc(z.array(agentInputSchema).default([{ type: 'stdin' }]), 'Where the agent reads records from.', [
      { type: 'http', listen: { port: DEFAULT_AGENT_HTTP_PORT } },
    ]),
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
