/**
 * The Node.js version the tests need, checked before any infrastructure starts: on an older
 * Node the Kafka client fails inside every readiness probe (`Promise.withResolvers is not a
 * function` on Node 20), which would otherwise surface minutes later as a Kafka timeout.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_JSON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');

/** The minimum of package.json's "engines.node" (">=22.22.0" -> [22, 22, 0]). */
export function requiredNode(packageJson = PACKAGE_JSON): [number, number, number] {
  const range = (JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { engines?: { node?: string } }).engines?.node;
  const m = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range ?? '');
  if (!m) throw new Error(`${packageJson}: engines.node: expected ">=X.Y.Z", found ${JSON.stringify(range)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The message for a Node older than `required`, naming the fix; undefined when it is recent enough. */
export function nodeTooOld(
  version: string,
  required: readonly [number, number, number],
  execPath = process.execPath,
): string | undefined {
  const have = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((have[i] ?? 0) > required[i]!) return undefined;
    if ((have[i] ?? 0) < required[i]!) {
      return (
        `the tests need Node.js >= ${required.join('.')} and this is ${version.replace(/^v/, '')} (${execPath}). ` +
        "Run them with `npm test`, which uses the project's Node 24 (installing it into .spillway/node the first time), " +
        'or run `source scripts/node-env.sh` in this shell first.'
      );
    }
  }
  return undefined;
}
