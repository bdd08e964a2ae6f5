/**
 * `spillway config diff OLD NEW [--json]`: what a reload from OLD to NEW would change.
 * Both files are validated first (an invalid one is reported as by `config check`, exit 2).
 * Prints only key paths and plan names, never values, so secrets do not appear.
 */
import { SpillwayError } from '../core/errors.ts';
import { diffConfigs, formatDiff } from './diff.ts';
import { loadConfig } from './load.ts';

export const CONFIG_DIFF_USAGE = 'spillway config diff OLD NEW [--json]';

export async function configDiffCommand(args: string[], out: NodeJS.WritableStream): Promise<number> {
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  const unknown = files.find((a) => a.startsWith('-'));
  if (unknown !== undefined || files.length !== 2) {
    throw new SpillwayError(
      'SPW_ERR_CLI_USAGE',
      `config diff: ${unknown !== undefined ? `unknown option "${unknown}"` : `expected two config files, found ${files.length}`}; usage: ${CONFIG_DIFF_USAGE}`,
    );
  }
  const [before, after] = files as [string, string];
  const diff = diffConfigs(await loadConfig(before), await loadConfig(after));
  out.write(json ? `${JSON.stringify(diff, null, 2)}\n` : formatDiff(diff, { before, after }));
  return 0;
}
