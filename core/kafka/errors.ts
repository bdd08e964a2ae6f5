/**
 * Turns the client's errors into SpillwayErrors with our codes and the cluster in context,
 * so callers never branch on the client's own error classes.
 *
 * Two failures get their own codes whatever the operation, because only an operator can
 * fix them and the client's own message ("metadata failed 4 times.") hides them three
 * levels down: a SASL login the broker refused (SPW_ERR_KAFKA_AUTH) and a TLS handshake
 * that failed (SPW_ERR_KAFKA_TLS).
 */
import { type ErrorCode, SpillwayError } from '../errors.ts';
import type { KafkaCluster } from './connection.ts';

/** Kafka protocol error codes that retrying the same request can fix (leader moves, timeouts, throttling). */
const RETRIABLE_KAFKA_CODES = new Set([6, 7, 13, 14, 15, 16, 19, 20, 27, 56]);

interface ClientError {
  message?: string;
  code?: string;
  errors?: ClientError[];
  cause?: unknown;
  apiCode?: number;
  apiId?: string;
  canRetry?: boolean;
}

function describe(err: unknown): string {
  const e = err as ClientError;
  const inner = e.errors?.map((x) => x.message).filter(Boolean) ?? [];
  const base = e.message ?? String(err);
  return inner.length > 0 ? `${base} (${[...new Set(inner)].join('; ')})` : base;
}

/** Depth-first search of the client's error tree (`errors` of aggregates, then `cause`) for the first match. */
export function findInErrorTree(err: unknown, match: (e: ClientError) => boolean): ClientError | undefined {
  const seen = new Set<unknown>();
  const walk = (x: unknown, depth: number): ClientError | undefined => {
    if (typeof x !== 'object' || x === null || seen.has(x) || depth > 12) return undefined;
    seen.add(x);
    const e = x as ClientError;
    if (match(e)) return e;
    for (const inner of e.errors ?? []) {
      const hit = walk(inner, depth + 1);
      if (hit) return hit;
    }
    return walk(e.cause, depth + 1);
  };
  return walk(err, 0);
}

/** Node's TLS verification and handshake error codes (tls.TLSSocket's verifyError, OpenSSL's ERR_SSL_*). */
const TLS_ERROR_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** The broker refused the SASL login (the client's code, or the protocol's error name). */
function isAuthFailure(e: ClientError): boolean {
  return e.code === 'PLT_KFK_AUTHENTICATION' || e.apiId === 'SASL_AUTHENTICATION_FAILED';
}

function isTlsFailure(e: ClientError): boolean {
  if (typeof e.code !== 'string') return false;
  if (TLS_ERROR_CODES.has(e.code) || e.code.startsWith('ERR_SSL_')) return true;
  // The client's own words when a TLS client meets a plaintext port, or the reverse.
  return e.code === 'PLT_KFK_USER' && /\bTLS\b/.test(e.message ?? '');
}

/** "at 127.0.0.1:9093" from the client's "Connection to 127.0.0.1:9093 failed." above the cause. */
const CONNECTION_FAILED = /^Connection to (\S+) failed\.$/;

function brokerOf(err: unknown): string {
  const conn = findInErrorTree(err, (e) => CONNECTION_FAILED.test(e.message ?? ''));
  const m = CONNECTION_FAILED.exec(conn?.message ?? '');
  return m ? ` at ${m[1]}` : '';
}

/**
 * A refused SASL login or a failed TLS handshake found anywhere in the client's error, as
 * the SpillwayError that names the cluster, the user and what to check; undefined otherwise.
 * Never includes the password.
 */
export function securityError(what: string, cluster: KafkaCluster, err: unknown): SpillwayError | undefined {
  const context = { cluster: cluster.name };
  const at = brokerOf(err);
  const tlsError = (problem: string) => {
    const trust = !cluster.tls
      ? 'no TLS settings'
      : cluster.tls.caFile
        ? `trusting caFile ${cluster.tls.caFile}`
        : 'no caFile: trusting the system CAs only';
    return new SpillwayError(
      'SPW_ERR_KAFKA_TLS',
      `${what} on cluster "${cluster.name}": ${problem} (${trust}); check security.tls of cluster "${cluster.name}" and that the listener speaks TLS`,
      { cause: err, context },
    );
  };
  // TLS first: a failed handshake is the root cause even when a SASL step failed after it.
  const tls = findInErrorTree(err, isTlsFailure);
  if (tls) return tlsError(`TLS handshake failed${at}: ${tls.message}`);
  const auth = findInErrorTree(err, isAuthFailure);
  // A TLS listener closes a plaintext client's connection at its first bytes, the SASL
  // handshake; the client reports that as "Cannot find a suitable SASL mechanism.".
  if (auth && !cluster.tls && findInErrorTree(auth.cause, (e) => e.code === 'PLT_KFK_NETWORK')) {
    return tlsError(`connection closed${at} at the SASL handshake, as a TLS listener does to a plaintext client`);
  }
  if (auth) {
    const who = cluster.sasl
      ? `user "${cluster.sasl.username}" with ${cluster.sasl.mechanism.toUpperCase()}`
      : 'no SASL settings';
    return new SpillwayError(
      'SPW_ERR_KAFKA_AUTH',
      `${what} on cluster "${cluster.name}": authentication failed${at} (${who}): the broker refused the SASL login; check security.sasl of cluster "${cluster.name}" (mechanism, username, password)`,
      { cause: err, context },
    );
  }
  return undefined;
}

export function isRetriableKafkaError(err: unknown): boolean {
  const e = err as ClientError;
  // A refused login or an untrusted certificate fails the same way until an operator acts.
  if (findInErrorTree(err, (x) => isAuthFailure(x) || isTlsFailure(x))) return false;
  if (e?.canRetry === true) return true;
  if (typeof e?.apiCode === 'number' && RETRIABLE_KAFKA_CODES.has(e.apiCode)) return true;
  return (
    (e?.errors ?? []).some(isRetriableKafkaError) || e?.code === 'PLT_KFK_NETWORK' || e?.code === 'PLT_KFK_TIMEOUT'
  );
}

/** @param cluster the cluster (its name goes into the message and context; SASL user, never password, into auth errors) */
export function wrapKafkaError(
  code: ErrorCode,
  what: string,
  cluster: KafkaCluster,
  err: unknown,
  context: Record<string, unknown> = {},
): SpillwayError {
  if (err instanceof SpillwayError) return err;
  const security = securityError(what, cluster, err);
  if (security) {
    Object.assign(security.context, context);
    return security;
  }
  return new SpillwayError(code, `${what} on cluster "${cluster.name}": ${describe(err)}`, {
    cause: err,
    context: { cluster: cluster.name, ...context },
  });
}
