/**
 * Security failures found in the Kafka client's error tree: shaped like the trees
 * @platformatic/kafka really builds (seen against a SASL_SSL broker in
 * test/integration/kafka-security.test.ts), classified with exact messages.
 */
import { describe, expect, it } from 'vitest';
import { SpillwayError } from '../../../core/errors.ts';
import { clientOptions } from '../../../core/kafka/connection.ts';
import { isRetriableKafkaError, wrapKafkaError } from '../../../core/kafka/errors.ts';

/** An error object with the client's fields. */
function e(code: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { code, message, ...extra };
}

/** "Listing topics failed." > "Cannot connect to any broker." > "Connection to B failed." > cause */
function clientTree(cause: unknown): unknown {
  const conn = e('PLT_KFK_NETWORK', 'Connection to 127.0.0.1:9093 failed.', { canRetry: true, cause });
  return e('PLT_KFK_MULTIPLE', 'Listing topics failed.', {
    errors: [e('PLT_KFK_MULTIPLE', 'Cannot connect to any broker.', { errors: [conn] })],
  });
}

const refusedLogin = e('PLT_KFK_AUTHENTICATION', 'SASL authentication failed.', {
  canRetry: false,
  cause: e('PLT_KFK_RESPONSE', 'Received response with error while executing API SaslAuthenticate(v2)', {
    errors: [e('PLT_KFK_PROTOCOL', 'SASL authentication failed.', { apiId: 'SASL_AUTHENTICATION_FAILED' })],
  }),
});
const closedAtHandshake = e('PLT_KFK_AUTHENTICATION', 'Cannot find a suitable SASL mechanism.', {
  cause: e('PLT_KFK_NETWORK', 'Connection closed', { canRetry: true }),
});
const untrusted = e('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain');

const sasl = { mechanism: 'scram-sha-512' as const, username: 'spillway', password: 'p4ssw0rd-never-shown' };
const cases = [
  {
    name: 'a refused SCRAM login',
    cluster: { name: 'aux', brokers: [], tls: { caFile: '/ca.pem' }, sasl },
    err: clientTree(refusedLogin),
    code: 'SPW_ERR_KAFKA_AUTH',
    message:
      'list topics failed on cluster "aux": authentication failed at 127.0.0.1:9093 (user "spillway" with SCRAM-SHA-512): the broker refused the SASL login; check security.sasl of cluster "aux" (mechanism, username, password)',
  },
  {
    name: 'a certificate signed by a CA the client does not trust',
    cluster: { name: 'aux', brokers: [], tls: {}, sasl },
    err: clientTree(untrusted),
    code: 'SPW_ERR_KAFKA_TLS',
    message:
      'list topics failed on cluster "aux": TLS handshake failed at 127.0.0.1:9093: self-signed certificate in certificate chain (no caFile: trusting the system CAs only); check security.tls of cluster "aux" and that the listener speaks TLS',
  },
  {
    name: 'a plaintext SASL client at a TLS listener',
    cluster: { name: 'aux', brokers: [], sasl },
    err: clientTree(closedAtHandshake),
    code: 'SPW_ERR_KAFKA_TLS',
    message:
      'list topics failed on cluster "aux": connection closed at 127.0.0.1:9093 at the SASL handshake, as a TLS listener does to a plaintext client (no TLS settings); check security.tls of cluster "aux" and that the listener speaks TLS',
  },
  {
    name: 'a plaintext client without SASL at a TLS listener',
    cluster: { name: 'aux', brokers: [] },
    err: e('PLT_KFK_MULTIPLE', 'Listing topics failed.', { errors: [e('PLT_KFK_USER', 'Broker requires TLS.')] }),
    code: 'SPW_ERR_KAFKA_TLS',
    message:
      'list topics failed on cluster "aux": TLS handshake failed: Broker requires TLS. (no TLS settings); check security.tls of cluster "aux" and that the listener speaks TLS',
  },
  {
    name: 'a broker that is down (not a security problem)',
    cluster: { name: 'aux', brokers: [], tls: { caFile: '/ca.pem' }, sasl },
    err: clientTree(e('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9093')),
    code: 'SPW_ERR_KAFKA_ADMIN',
    message: 'list topics failed on cluster "aux": Listing topics failed. (Cannot connect to any broker.)',
  },
];

describe('wrapKafkaError on security failures', () => {
  it.each(cases)('$name -> $code', ({ cluster, err, code, message }) => {
    const wrapped = wrapKafkaError('SPW_ERR_KAFKA_ADMIN', 'list topics failed', cluster, err, { topic: 't' });
    expect({ code: wrapped.code, message: wrapped.message, context: wrapped.context }).toEqual({
      code,
      message,
      context: { cluster: 'aux', topic: 't' },
    });
    expect(wrapped.message).not.toContain(sasl.password);
    expect(wrapped.retriable).toBe(code === 'SPW_ERR_KAFKA_ADMIN');
    expect(isRetriableKafkaError(err)).toBe(code === 'SPW_ERR_KAFKA_ADMIN');
  });
});

describe('clientOptions with TLS files', () => {
  it('an unreadable caFile is SPW_ERR_KAFKA_TLS naming the cluster, the key and the file', () => {
    let err: unknown;
    try {
      clientOptions({ name: 'aux', brokers: ['127.0.0.1:9093'], tls: { caFile: '/nonexistent/ca.pem' } }, 'unit');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpillwayError);
    expect({ code: (err as SpillwayError).code, message: (err as SpillwayError).message }).toEqual({
      code: 'SPW_ERR_KAFKA_TLS',
      message: 'cluster "aux": cannot read security.tls.caFile /nonexistent/ca.pem: ENOENT',
    });
  });
});
