import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { configCheckCommand } from '../../../config/check-command.ts';
import { baseDocument } from './fixtures.ts';

function sink(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { out, text: () => text };
}

const dir = mkdtempSync(join(tmpdir(), 'spw-check-'));

describe('config check', () => {
  it('prints the plan and returns 0 for a valid file', async () => {
    const s = sink();
    expect(await configCheckCommand(['examples/demo.yaml'], s.out)).toBe(0);
    const text = s.text();
    expect(text).toContain('examples/demo.yaml: ok');
    expect(text).toMatch(/cluster main\n {2}budget used: \d+ \/ 1000 \(\d+\.\d%\)/);
    expect(text).toContain('sink search (opensearch)');
    expect(text).toMatch(/ {2}topic +kind +partitions +retention +logIds\n/);
  });
  it('never prints secrets, also with --json', async () => {
    const doc = baseDocument();
    doc.sinks[0].auth = { username: 'spw', password: 'hunter2-password' };
    doc.router = { tokens: [{ agent: 'edge', token: 'agent-token-0123456789' }] };
    doc.clusters[0].security = { sasl: { mechanism: 'plain', username: 'u', password: 'kafka-secret-pw' } };
    doc.agent = { uplink: { token: 'uplink-token-abc' } };
    const file = join(dir, 'secrets.yaml');
    writeFileSync(file, JSON.stringify(doc));
    for (const args of [[file], [file, '--json']]) {
      const s = sink();
      expect(await configCheckCommand(args, s.out)).toBe(0);
      for (const secret of ['hunter2-password', 'agent-token-0123456789', 'kafka-secret-pw', 'uplink-token-abc']) {
        expect(s.text()).not.toContain(secret);
      }
    }
    const s = sink();
    await configCheckCommand([file, '--json'], s.out);
    const report = JSON.parse(s.text());
    expect(report.config.sinks[0].auth.password).toBe('***');
    expect(report.config.router.tokens[0].token).toBe('***');
    expect(report.plan.clusters[0].name).toBe('main');
  });
  it('prints every problem and returns 2 for an invalid file', async () => {
    const doc = baseDocument();
    doc.pools.C = ['nope'];
    doc.sinks[1].compression = 'bz2';
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify(doc));
    const s = sink();
    expect(await configCheckCommand([file], s.out)).toBe(2);
    expect(s.text()).toBe(
      `${file}: 2 problems\nsinks[1].compression: expected one of "gzip", "zstd", "none", found "bz2"\npools.C[0]: expected a cluster defined in clusters (main, aux), found "nope"\n`,
    );
  });
  it('returns 2 without files', async () => {
    const s = sink();
    expect(await configCheckCommand([], s.out)).toBe(2);
  });
});
