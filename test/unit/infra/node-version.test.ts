import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTooOld, requiredNode } from '../../infra/node-version.ts';

describe('nodeTooOld', () => {
  it.each([
    ['24.21.0', undefined],
    ['v22.22.0', undefined],
    ['22.23.1', undefined],
    ['23.0.0', undefined],
    ['22.21.9', '22.21.9'],
    ['v20.20.2', '20.20.2'],
  ])('%s', (version, reported) => {
    const message = nodeTooOld(version, [22, 22, 0], '/usr/bin/node');
    if (reported === undefined) {
      expect(message).toBeUndefined();
    } else {
      expect(message).toBe(
        `the tests need Node.js >= 22.22.0 and this is ${reported} (/usr/bin/node). ` +
          "Run them with `npm test`, which uses the project's Node 24 (installing it into .spillway/node the first time), " +
          'or run `source scripts/node-env.sh` in this shell first.',
      );
    }
  });
});

describe('requiredNode', () => {
  it('reads package.json engines.node', () => {
    expect(requiredNode()).toEqual([22, 22, 0]);
  });

  it('names the file and what it found when engines.node is not ">=X.Y.Z"', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spw-engines-')), 'package.json');
    fs.writeFileSync(file, JSON.stringify({ engines: { node: '^22' } }));
    expect(() => requiredNode(file)).toThrow(`${file}: engines.node: expected ">=X.Y.Z", found "^22"`);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
