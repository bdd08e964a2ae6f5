/** The router (fan-in gateway): accepts agent batches and produces them to Kafka. */
import { z } from 'zod';
import { doc, hotPathTimeoutMs, listenSchema, timeoutMs } from './common.ts';
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
  })
  .strict()
  .prefault({});

export type RouterConfig = z.output<typeof routerSchema>;
