/**
 * `spillway stack status` through the real CLI: all three services up, exit status 0, and
 * env lines a shell can source, matching the stack the other tests use.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, inject, it } from 'vitest';
import { DEFAULT_PORTS } from '../../stack/lib/layout.ts';

// These drive the local JVM stack itself; with infrastructure from the environment or
// testcontainers (test/infra/providers.ts) there is no such stack to inspect.
const localStack = inject('stack').provider === 'local-stack';

describe.runIf(localStack)('spillway stack status', () => {
  it('reports kafka-main, kafka-aux and opensearch up, with the endpoints as env lines', () => {
    const res = spawnSync(process.execPath, ['bin/spillway.js', 'stack', 'status'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('#')).map((l) => l.replace(/ \(pid \d+\)$/, ''))).toEqual([
      '# kafka-main: up',
      '# kafka-aux: up',
      '# opensearch: up',
    ]);
    const stack = inject('stack');
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual([
      `SPW_KAFKA_MAIN=${stack.kafkaMain}`,
      `SPW_KAFKA_AUX=${stack.kafkaAux}`,
      `SPW_SEARCH_URL=${stack.searchUrl}`,
      'SPW_SEARCH_ENGINE=opensearch',
    ]);
  });

  it('`stack up` on a running stack is a no-op that starts nothing', () => {
    const res = spawnSync(process.execPath, ['bin/spillway.js', 'stack', 'up'], { encoding: 'utf8', timeout: 120_000 });
    expect(res.status).toBe(0);
    const comments = res.stdout.split('\n').filter((l) => l.startsWith('#'));
    expect(comments.map((l) => l.replace(/ \(pid \d+\)$/, ''))).toEqual([
      '# kafka-main: already running',
      '# kafka-aux: already running',
      '# opensearch: already running',
    ]);
  });
});

describe.runIf(localStack)('spillway stack up --secure-aux', () => {
  it('is refused while kafka-aux runs plaintext, naming what to do, and starts nothing', () => {
    const res = spawnSync(process.execPath, ['bin/spillway.js', 'stack', 'up', '--secure-aux'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr.trim()).toMatch(
      /^spillway stack: stack up --secure-aux: kafka-aux is already running with a PLAINTEXT listener \(pid \d+\); it cannot change while running: stop this checkout's stack first \(spillway stack down\) \[SPW_ERR_CLI_USAGE\]$/,
    );
    expect(res.stdout).toBe('');
  });
});

describe.runIf(localStack)('a second checkout', () => {
  it('is told which ports another checkout holds, instead of colliding, and starts nothing', () => {
    const stack = inject('stack');
    const mainPort = stack.kafkaMain.split(':')[1];
    // The running stack's ports: the defaults, or shifted when `up --auto-ports` found them
    // taken (another checkout's stack runs on this machine).
    const offset = String(Number(mainPort) - DEFAULT_PORTS.kafkaMain);
    const res = spawnSync(process.execPath, ['bin/spillway.js', 'stack', 'up'], {
      encoding: 'utf8',
      timeout: 120_000,
      // Another checkout = another stack directory, asking for the ports the running stack holds.
      env: { ...process.env, SPW_STACK_DIR: '/tmp/spw-second-checkout/.spillway/stack', SPW_STACK_PORT_OFFSET: offset },
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`spillway stack: port ${mainPort} (kafkaMain)`);
    expect(res.stderr).toContain(
      'already in use by a process this checkout (/tmp/spw-second-checkout/.spillway/stack) did not start',
    );
    expect(res.stderr).toContain('[SPW_ERR_STACK_PORT_TAKEN]');
    expect(res.stdout).not.toContain('starting');
  });
});
