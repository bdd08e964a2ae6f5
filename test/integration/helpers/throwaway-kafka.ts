/**
 * A Kafka cluster a test may kill -9, or one with a SASL_SSL listener: one more
 * single-node KRaft broker, started exactly like the stack's (stack/lib/services.ts
 * KafkaNode) in a temporary directory, on free ports. Stopped (and its data deleted) by the test.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnDetached } from '../../../stack/lib/processes.ts';
import { KafkaNode } from '../../../stack/lib/services.ts';
import { makeTestCertificates, type TestCertificates } from '../../../stack/lib/tls-certs.ts';
import { checkJava } from '../../../stack/lib/tools.ts';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ThrowawayKafka {
  brokers: string[];
  pid: number;
  /** The CA and broker certificate the helper made, when started with `security`. */
  certificates?: TestCertificates;
  /** The broker's directory (server.properties, server.log, process.log). */
  dir: string;
  /** SIGKILL, no controlled shutdown: the cluster vanishes mid-flight. */
  kill9(): Promise<void>;
  cleanup(): Promise<void>;
}

export interface ThrowawaySecurity {
  /** SCRAM-SHA-512 users (name -> password), created at storage format time. */
  scramUsers?: Record<string, string>;
  /** SASL/PLAIN users (name -> password). */
  plainUsers?: Record<string, string>;
}

/** Cold start of one broker on a loaded 2-core box takes 10-30 s; twice that before giving up. */
const READY_TIMEOUT_MS = 120_000;

/**
 * @param security run a SASL_SSL listener instead of PLAINTEXT: the helper makes a fresh CA
 * and broker certificate (127.0.0.1 / localhost) in the cluster's temp directory.
 */
export async function startThrowawayKafka(name: string, security?: ThrowawaySecurity): Promise<ThrowawayKafka> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spw-${name}-`));
  const [port, controller] = [await freePort(), await freePort()];
  const java = checkJava();
  const certificates = security ? makeTestCertificates(path.join(dir, 'tls'), `spillway ${name}`) : undefined;
  const node = new KafkaNode(
    name,
    dir,
    certificates && security
      ? { keystoreFile: certificates.keystoreFile, caFile: certificates.caFile, ...security }
      : undefined,
  );
  node.prepare(java, port, controller);
  const [cmd, ...args] = node.command(java);
  const pid = spawnDetached(cmd!, args, path.join(dir, 'process.log'), dir);
  const brokers = [`127.0.0.1:${port}`];
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await node.ready(port, 1_000))) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      throw new Error(`throwaway kafka ${name} not ready after ${READY_TIMEOUT_MS} ms; see ${dir}/process.log`);
    }
    await sleep(300);
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const kill9 = async () => {
    if (alive()) process.kill(pid, 'SIGKILL');
    while (alive()) await sleep(50);
  };
  return {
    brokers,
    pid,
    dir,
    certificates,
    kill9,
    async cleanup() {
      await kill9();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
