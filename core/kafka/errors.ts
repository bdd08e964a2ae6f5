/**
 * Turns the client's errors into SpillwayErrors with our codes and the cluster in context,
 * so callers never branch on the client's own error classes.
 */
import { type ErrorCode, SpillwayError } from '../errors.ts';

/** Kafka protocol error codes that retrying the same request can fix (leader moves, timeouts, throttling). */
const RETRIABLE_KAFKA_CODES = new Set([6, 7, 13, 14, 15, 16, 19, 20, 27, 56]);

interface ClientError {
  message?: string;
  code?: string;
  errors?: ClientError[];
  apiCode?: number;
  canRetry?: boolean;
}

function describe(err: unknown): string {
  const e = err as ClientError;
  const inner = e.errors?.map((x) => x.message).filter(Boolean) ?? [];
  const base = e.message ?? String(err);
  return inner.length > 0 ? `${base} (${[...new Set(inner)].join('; ')})` : base;
}

export function isRetriableKafkaError(err: unknown): boolean {
  const e = err as ClientError;
  if (e?.canRetry === true) return true;
  if (typeof e?.apiCode === 'number' && RETRIABLE_KAFKA_CODES.has(e.apiCode)) return true;
  return (
    (e?.errors ?? []).some(isRetriableKafkaError) || e?.code === 'PLT_KFK_NETWORK' || e?.code === 'PLT_KFK_TIMEOUT'
  );
}

export function wrapKafkaError(
  code: ErrorCode,
  what: string,
  cluster: string,
  err: unknown,
  context: Record<string, unknown> = {},
): SpillwayError {
  if (err instanceof SpillwayError) return err;
  return new SpillwayError(code, `${what} on cluster "${cluster}": ${describe(err)}`, {
    cause: err,
    context: { cluster, ...context },
  });
}
