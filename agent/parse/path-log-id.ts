/**
 * A file's logId from its path (`logIdFromPath` of a file input), for hosts where each
 * service logs under its own directory or file name:
 *
 * - a glob with `{logId}` where the logId is: `/var/log/{logId}/*.log`,
 *   `/srv/logs/{logId}-*.log` (`*` and `?` stay within one path segment, `**` crosses
 *   them; `{logId}` takes as much of its segment as it can);
 * - or a regular expression with a group named logId: `^/var/log/apps/(?<logId>[a-z-]+)\.`.
 *
 * Relative globs are resolved against the working directory, as the input's include
 * globs are. A path that does not match, or names something a configured logId cannot
 * be (letters, digits, "_" and "-"; so not `my.app`), falls back to the input's defaultLogId (and is rejected without one, naming the path).
 */
import path from 'node:path';
// What a configured logId may hold: a name an operator cannot configure falls back.
import { CONFIG_LOG_ID } from '../../config/log-id.ts';

const GROUP = '(?<logId>';
export const PATH_PATTERN_EXPECTED =
  'a glob with {logId} once (e.g. /var/log/{logId}/*.log) or a regular expression with a group (?<logId>…)';
const PLACEHOLDER = '{logId}';

/** What is wrong with a pattern, or undefined. */
export function checkPathPattern(pattern: string): string | undefined {
  if (pattern.includes(GROUP)) {
    try {
      new RegExp(pattern);
      return undefined;
    } catch (err) {
      return `logIdFromPath: not a regular expression: ${(err as Error).message}`;
    }
  }
  const n = pattern.split(PLACEHOLDER).length - 1;
  if (n !== 1) {
    return `logIdFromPath: expected ${PATH_PATTERN_EXPECTED}, found ${JSON.stringify(pattern)}`;
  }
  return undefined;
}

function globToRegex(glob: string): RegExp {
  const abs = path.resolve(glob);
  let re = '^';
  for (let i = 0; i < abs.length; i++) {
    if (abs.startsWith(PLACEHOLDER, i)) {
      re += '(?<logId>[^/]+)';
      i += PLACEHOLDER.length - 1;
    } else if (abs.startsWith('**', i)) {
      re += '.*';
      i++;
    } else if (abs[i] === '*') {
      re += '[^/]*';
    } else if (abs[i] === '?') {
      re += '[^/]';
    } else {
      re += abs[i]!.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`);
}

/** Compiles a checked pattern to a function from a file path to its logId (undefined when none). */
export function compilePathPattern(pattern: string): (filePath: string) => string | undefined {
  const problem = checkPathPattern(pattern);
  if (problem !== undefined) throw new TypeError(problem);
  const re = pattern.includes(GROUP) ? new RegExp(pattern) : globToRegex(pattern);
  return (filePath) => {
    const id = re.exec(filePath)?.groups?.logId;
    return id !== undefined && CONFIG_LOG_ID.test(id) ? id : undefined;
  };
}
