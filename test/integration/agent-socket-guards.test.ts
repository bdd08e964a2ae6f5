/**
 * The agent's socket guards with real sockets: a connection flood is refused past the
 * limit (counted) while the admitted connections work; a slowloris client is cut after the
 * idle timeout while another connection keeps delivering.
 */
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type SocketInput, startSocketInput } from '../../agent/inputs/socket-inputs.ts';
import type { AgentLine } from '../../agent/parse/output.ts';
import { makeStamp } from '../../agent/parse/record.ts';
import { createLogger } from '../../core/logger.ts';
import { waitFor } from './helpers/kafka.ts';

const inputs: SocketInput[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const i of inputs.splice(0)) await i.close();
});

async function input(options: { maxConnections?: number; idleTimeoutMs?: number }) {
  const got: AgentLine[] = [];
  const i = await startSocketInput({
    kind: 'tcp',
    host: '127.0.0.1',
    port: 0,
    stamp: makeStamp('it-host', { region: 'r', zone: 'z', cluster: 'c', appId: 'a' }),
    defaultLogId: 'guard',
    onLines: async (lines) => {
      got.push(...lines);
    },
    onReject: () => {},
    log: createLogger('it'),
    ...options,
  });
  inputs.push(i);
  return { i, got };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
    sockets.push(s);
  });
}

describe('agent socket guards', () => {
  it('refuses connections past the limit, counted, and the admitted ones still deliver', async () => {
    const { i, got } = await input({ maxConnections: 5 });
    const conns = await Promise.all(Array.from({ length: 8 }, () => connect(i.port)));
    await waitFor('3 refusals', () => i.stats.refusedConnections === 3, 5_000);
    for (const [n, s] of conns.entries()) if (!s.destroyed) s.write(`{"msg":"ok","seq":${n}}\n`);
    await waitFor('5 lines', () => got.length >= 5, 5_000);
    await sleep(100);
    expect(got).toHaveLength(5);
    expect(i.stats).toMatchObject({ connections: 5, refusedConnections: 3 });
  });

  it('cuts a slowloris client after the idle timeout; another connection keeps delivering', async () => {
    const { i, got } = await input({ idleTimeoutMs: 300 });
    const slow = await connect(i.port);
    slow.write('{"msg":"never finish');
    const good = await connect(i.port);
    for (let n = 0; n < 5; n++) {
      good.write(`{"msg":"good","seq":${n}}\n`);
      await sleep(100);
    }
    await waitFor('the slow client to be cut', () => i.stats.idleClosed === 1, 5_000);
    expect(slow.destroyed || slow.readableEnded).toBe(true);
    expect(got.map((l) => JSON.parse(l.bytes.toString()).seq)).toEqual([0, 1, 2, 3, 4]);
  });
});
