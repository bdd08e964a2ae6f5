/** The throwaway CA and server certificate: valid for 127.0.0.1 and localhost, signed by the CA, keys private. */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaNode } from '../../../stack/lib/services.ts';
import { makeTestCertificates } from '../../../stack/lib/tls-certs.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spw-unit-certs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('makeTestCertificates', () => {
  it('makes a CA and a server certificate for 127.0.0.1 and localhost, signed by it', () => {
    const files = makeTestCertificates(dir, 'unit');
    const ca = new X509Certificate(fs.readFileSync(files.caFile));
    const server = new X509Certificate(fs.readFileSync(files.certFile));
    expect(ca.ca).toBe(true);
    expect(server.ca).toBe(false);
    expect(server.checkIssued(ca)).toBe(true);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('example.com')).toBeUndefined();
    // Kafka's PEM keystore: the PKCS#8 key, then the chain.
    const keystore = fs.readFileSync(files.keystoreFile, 'utf8');
    expect(keystore.match(/-----BEGIN [A-Z ]+-----/g)).toEqual([
      '-----BEGIN PRIVATE KEY-----',
      '-----BEGIN CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----',
    ]);
    for (const f of [files.keyFile, files.keystoreFile, path.join(dir, 'ca.key')]) {
      expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    }
  });
});

describe('KafkaNode security', () => {
  it.each([
    ['a quote in a password', { spillway: 'pa"ss' }, 'spillway'],
    ['a comma in a password', { spillway: 'a,b' }, 'spillway'],
    ['a space in a user name', { 'bad user': 'secret' }, 'bad user'],
  ])('refuses %s (it would break the JAAS line or --add-scram)', (_, users, name) => {
    expect(() => new KafkaNode('k', dir, { keystoreFile: 'k.pem', caFile: 'ca.pem', scramUsers: users })).toThrow(
      `KafkaNode: user "${name}": expected a name and password of 1-128 characters from [A-Za-z0-9._~+/-]`,
    );
  });

  it('logs in as the first SCRAM user, else the first PLAIN user, trusting the CA', () => {
    const base = { keystoreFile: 'k.pem', caFile: '/ca.pem' };
    expect(
      new KafkaNode('k', dir, { ...base, scramUsers: { a: 'x' }, plainUsers: { b: 'y' } }).clientSecurity(),
    ).toEqual({ tls: { caFile: '/ca.pem' }, sasl: { mechanism: 'scram-sha-512', username: 'a', password: 'x' } });
    expect(new KafkaNode('k', dir, { ...base, plainUsers: { b: 'y' } }).clientSecurity()).toEqual({
      tls: { caFile: '/ca.pem' },
      sasl: { mechanism: 'plain', username: 'b', password: 'y' },
    });
    expect(new KafkaNode('k', dir).clientSecurity()).toEqual({});
  });
});
