/**
 * What one test file opens: temp directories (removed after the file) and running
 * components (closed after each test, in reverse of the order the test opened them).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach } from 'vitest';

export interface Closable {
  close(): Promise<void>;
}

export function scratch(prefix: string) {
  const dirs: string[] = [];
  const opened: Closable[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0).reverse()) await o.close();
  });
  afterAll(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    dirs,
    /** Components to close after the test; a test that closes one itself takes it out first. */
    opened,
    tempDir(): string {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
  };
}
