/** The router (fan-in gateway): accepts agent batches and produces them to Kafka. */
import { z } from 'zod';
import { doc, expected, hotPathTimeoutMs, listenSchema, MAX_TIMEOUT_MS, timeoutMs } from './common.ts';
import { logIdSchema } from './log-id.ts';

export const DEFAULT_ROUTER_PORT = 7070;
/** 8 MiB: eight default agent batches; larger bodies are refused before they are read. */
export const DEFAULT_ROUTER_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Records whose logId is not configured are placed as this logId. */
export const DEFAULT_FALLBACK_LOG_ID = 'unknown';
/** Under the agent's 10 s uplink timeout, so the router answers before the agent gives up. */
export const DEFAULT_ROUTER_REQUEST_TIMEOUT_MS = 8_000;
/** Leaves room in the request deadline to answer 503 and let the agent retry elsewhere. */
export const DEFAULT_ROUTER_PRODUCE_TIMEOUT_MS = 5_000;
/** Node's http keepAliveTimeout is 5 s; agents batch every 200 ms, so 60 s keeps connections warm. */
export const DEFAULT_ROUTER_IDLE_TIMEOUT_MS = 60_000;
/** 2 ms: under a loopback produce round trip (~5 ms with acks=all), long enough to join concurrent batches into one produce. */
export const DEFAULT_PRODUCE_LINGER_MS = 2;

/** Local Redis, as on the development machines and in docker-compose.yml. */
export const DEFAULT_QUOTA_REDIS_URL = 'redis://127.0.0.1:6379';
/** Every quota key starts with this, so one Redis can serve several deployments. */
export const DEFAULT_QUOTA_KEY_PREFIX = 'spw:quota';
/** One lease round per second: a demand shift reaches every router within about a second, at two Redis round trips per router per second. */
export const DEFAULT_QUOTA_LEASE_MS = 1_000;
/** Five lease periods: long enough to smooth agent batching (200 ms linger), short enough to follow a real shift. */
export const DEFAULT_QUOTA_DEMAND_WINDOW_MS = 5_000;
/** A lease round must never wait long on Redis; same-datacenter Redis answers in about a millisecond. */
export const DEFAULT_QUOTA_REDIS_TIMEOUT_MS = 200;
/** One second of rate as burst: absorbs one agent batch cycle without letting a logId double its rate. */
export const DEFAULT_QUOTA_BURST_MS = 1_000;
/** Without any lease, assume this router is alone; raise it to the router count so a Redis outage at start-up cannot multiply the quotas. */
export const DEFAULT_QUOTA_FALLBACK_INSTANCES = 1;
/** Powers of two, S to C: under contention a tier gets twice the share of the next one. */
export const DEFAULT_IMPORTANCE_WEIGHTS = { S: 8, A: 4, B: 2, C: 1 } as const;

function weight(tier: string) {
  return doc(
    z
      .number()
      .positive()
      .default(DEFAULT_IMPORTANCE_WEIGHTS[tier as keyof typeof DEFAULT_IMPORTANCE_WEIGHTS]),
    `Weight of importance ${tier} in the max-min fair split of the global capacity.`,
    DEFAULT_IMPORTANCE_WEIGHTS[tier as keyof typeof DEFAULT_IMPORTANCE_WEIGHTS],
  );
}

export const routerQuotaSchema = doc(
  z
    .object({
      redisUrl: doc(
        z
          .string()
          .regex(/^rediss?:\/\//, expected('a redis:// or rediss:// URL'))
          .default(DEFAULT_QUOTA_REDIS_URL),
        'Redis that the routers share quota demand through; put a password in ${NAME}.',
        'redis://quota-redis.internal:6379',
      ),
      keyPrefix: doc(
        z.string().min(1).default(DEFAULT_QUOTA_KEY_PREFIX),
        'Prefix of every quota key in Redis; routers with the same prefix share the global quota.',
        DEFAULT_QUOTA_KEY_PREFIX,
      ),
      instanceId: doc(
        z.string().min(1).max(128).optional(),
        'Name of this router in Redis; must be unique among the routers. Default: <hostname>-<pid>.',
        'router-eu-1',
      ),
      leaseMs: doc(
        z.number().int().min(50).max(60_000).default(DEFAULT_QUOTA_LEASE_MS),
        'How often a router reports its demand and recomputes its lease.',
        DEFAULT_QUOTA_LEASE_MS,
      ),
      demandWindowMs: doc(
        z.number().int().min(100).max(MAX_TIMEOUT_MS).default(DEFAULT_QUOTA_DEMAND_WINDOW_MS),
        'Demand (records and bytes asked, admitted or not) is averaged over this window; at least leaseMs.',
        DEFAULT_QUOTA_DEMAND_WINDOW_MS,
      ),
      globalRecordsPerSec: doc(
        z.number().positive().optional(),
        'Total records per second across all logIds and routers; omit for no global cap.',
        200_000,
      ),
      globalBytesPerSec: doc(
        z.number().int().positive().optional(),
        'Total bytes per second across all logIds and routers; omit for no global cap.',
        200_000_000,
      ),
      importanceWeights: doc(
        z
          .object({ S: weight('S'), A: weight('A'), B: weight('B'), C: weight('C') })
          .strict()
          .prefault({}),
        'Max-min fair weights by importance when demand exceeds the global capacity.',
        DEFAULT_IMPORTANCE_WEIGHTS,
      ),
      redisTimeoutMs: hotPathTimeoutMs(
        DEFAULT_QUOTA_REDIS_TIMEOUT_MS,
        'Timeout of one Redis command in a lease round; a timed-out round keeps the last lease. Quota checks never wait on Redis.',
      ),
      burstMs: doc(
        z.number().int().min(1).max(60_000).default(DEFAULT_QUOTA_BURST_MS),
        'Token bucket burst, as time at the leased rate (burst = rate * burstMs / 1000).',
        DEFAULT_QUOTA_BURST_MS,
      ),
      fallbackInstances: doc(
        z.number().int().min(1).max(10_000).default(DEFAULT_QUOTA_FALLBACK_INSTANCES),
        'Until a first lease succeeds (Redis down at start-up), each router takes quota / fallbackInstances; set it to the router count.',
        4,
      ),
    })
    .strict()
    .superRefine((q, ctx) => {
      if (q.demandWindowMs < q.leaseMs) {
        ctx.addIssue({
          code: 'custom',
          path: ['demandWindowMs'],
          input: q.demandWindowMs,
          message: `expected at least leaseMs (${q.leaseMs}), so every lease sees a full window of demand`,
        });
      }
    }),
  'Distributed quotas: logId quotas and a global capacity shared by all routers through Redis. Omit for per-logId quotas enforced by each router alone.',
  { redisUrl: DEFAULT_QUOTA_REDIS_URL, globalRecordsPerSec: 200_000 },
);

export const routerSchema = z
  .object({
    listen: listenSchema(DEFAULT_ROUTER_PORT),
    tokens: doc(
      z
        .array(
          z
            .object({
              agent: doc(z.string().min(1), 'Agent (or agent fleet) the token belongs to.', 'edge-eu'),
              token: doc(z.string().min(16), 'Bearer token, at least 16 characters.', '${SPW_AGENT_TOKEN}'),
            })
            .strict(),
        )
        .default([]),
      'Accepted agent tokens; empty accepts any agent (local use only).',
      [{ agent: 'edge-eu', token: '${SPW_AGENT_TOKEN}' }],
    ),
    maxBodyBytes: doc(
      z.number().int().min(1024).default(DEFAULT_ROUTER_MAX_BODY_BYTES),
      'Largest request body accepted (compressed size).',
      DEFAULT_ROUTER_MAX_BODY_BYTES,
    ),
    fallbackLogId: doc(
      logIdSchema.default(DEFAULT_FALLBACK_LOG_ID),
      'logId whose placement records with an unconfigured logId get; it must be defined in logIds.',
      DEFAULT_FALLBACK_LOG_ID,
    ),
    requestTimeoutMs: hotPathTimeoutMs(DEFAULT_ROUTER_REQUEST_TIMEOUT_MS, 'Deadline for handling one agent request.'),
    produceTimeoutMs: hotPathTimeoutMs(
      DEFAULT_ROUTER_PRODUCE_TIMEOUT_MS,
      'Deadline for Kafka to acknowledge the records of one request; must not exceed requestTimeoutMs.',
    ),
    idleTimeoutMs: timeoutMs(DEFAULT_ROUTER_IDLE_TIMEOUT_MS, 'Close an idle keep-alive connection after this long.'),
    produceLingerMs: doc(
      z
        .number()
        .int()
        .min(0)
        .max(50, expected('at most 50 ms: every agent request waits this long on top of the acks'))
        .default(DEFAULT_PRODUCE_LINGER_MS),
      'How long concurrent batches wait to share one produce request per cluster; 0 sends each batch on its own.',
      DEFAULT_PRODUCE_LINGER_MS,
    ),
    quota: routerQuotaSchema.optional(),
  })
  .strict()
  .prefault({});

export type RouterConfig = z.output<typeof routerSchema>;
export type RouterQuotaConfig = z.output<typeof routerQuotaSchema>;
