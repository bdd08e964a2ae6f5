/**
 * A throwaway certificate authority and one server certificate signed by it, made with the
 * openssl command line: what a secured local Kafka listener (and the tests that talk to it)
 * needs. Never for production: keys are unencrypted and live next to the data.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SpillwayError } from '../../core/errors.ts';

/** Ten days: a local stack or a test never lives that long, and a leaked key soon expires. */
export const TEST_CERT_DAYS = 10;
/** The names the certificate is valid for: the stack binds 127.0.0.1, and clients may say localhost. */
export const TEST_CERT_SAN = 'IP:127.0.0.1,DNS:localhost';

export interface TestCertificates {
  /** PEM certificate of the CA: what a client trusts (config `security.tls.caFile`). */
  caFile: string;
  /** PEM certificate of the server, signed by the CA. */
  certFile: string;
  /** PEM private key of the server, unencrypted PKCS#8. */
  keyFile: string;
  /** Key then certificate chain in one PEM file: Kafka's `ssl.keystore.type=PEM` keystore. */
  keystoreFile: string;
}

function openssl(args: string[], cwd: string): void {
  const res = spawnSync(process.env.SPW_OPENSSL ?? 'openssl', args, { cwd, encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    const why = res.error?.message ?? (res.stderr || res.stdout).trim().split('\n').slice(-3).join(' | ');
    throw new SpillwayError('SPW_ERR_STACK_TOOL_MISSING', `openssl ${args[0]} failed: ${why}`);
  }
}

/**
 * Makes `dir` hold a fresh CA and a server certificate for 127.0.0.1 / localhost
 * (`commonName` only labels them). Keys are written with mode 0600.
 */
export function makeTestCertificates(dir: string, commonName = 'spillway-test'): TestCertificates {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name: string) => path.join(dir, name);
  const common = ['-days', String(TEST_CERT_DAYS), '-sha256'];
  // EC P-256: generating it takes milliseconds, where RSA 2048 takes a noticeable share of a slow core.
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(
    [
      'req',
      '-x509',
      ...ecKey,
      ...common,
      '-subj',
      `/CN=${commonName} CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout',
      f('ca.key'),
      '-out',
      f('ca.pem'),
    ],
    dir,
  );
  openssl(
    ['req', '-new', ...ecKey, '-subj', `/CN=${commonName}`, '-keyout', f('server.key'), '-out', f('server.csr')],
    dir,
  );
  fs.writeFileSync(
    f('server.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${TEST_CERT_SAN}`,
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      f('server.csr'),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      ...common,
      '-extfile',
      f('server.ext'),
      '-out',
      f('server.pem'),
    ],
    dir,
  );
  // Kafka's PEM keystore wants PKCS#8; `openssl req -nodes` already writes "BEGIN PRIVATE KEY".
  const keystore = f('server-keystore.pem');
  fs.writeFileSync(
    keystore,
    fs.readFileSync(f('server.key'), 'utf8') +
      fs.readFileSync(f('server.pem'), 'utf8') +
      fs.readFileSync(f('ca.pem'), 'utf8'),
    { mode: 0o600 },
  );
  for (const key of ['ca.key', 'server.key']) fs.chmodSync(f(key), 0o600);
  return { caFile: f('ca.pem'), certFile: f('server.pem'), keyFile: f('server.key'), keystoreFile: keystore };
}
