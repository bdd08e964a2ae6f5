/**
 * A Kafka cluster a test may kill -9: one more single-node KRaft broker, started exactly
 * like the stack's (stack/lib/services.ts KafkaNode) in a temporary directory, on free
 * ports. Stopped (and its data deleted) by the test.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { probeKafka } from '../../../core/kafka/index.ts';
import { spawnDetached } from '../../../stack/lib/processes.ts';
import { KafkaNode } from '../../../stack/lib/services.ts';
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
  /** SIGKILL, no controlled shutdown: the cluster vanishes mid-flight. */
  kill9(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function startThrowawayKafka(name: string): Promise<ThrowawayKafka> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spw-${name}-`));
  const [port, controller] = [await freePort(), await freePort()];
  const java = checkJava();
  const node = new KafkaNode(name, dir);
  node.prepare(java, port, controller);
  const [cmd, ...args] = node.command(java);
  const pid = spawnDetached(cmd!, args, path.join(dir, 'process.log'), dir);
  const brokers = [`127.0.0.1:${port}`];
  const deadline = Date.now() + 120_000;
  while (!(await probeKafka(brokers, 1_000))) {
    if (Date.now() > deadline) throw new Error(`throwaway kafka ${name} not ready; see ${dir}/process.log`);
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
    kill9,
    async cleanup() {
      await kill9();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
