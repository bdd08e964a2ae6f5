/**
 * Level names the agent accepts from services and maps to the six pino labels the router
 * places by (config/common.ts LEVELS).
 *
 * Aliases are the spellings other loggers use for the same severity: syslog keywords
 * (RFC 5424 table 2: emerg, alert, crit, err, warning, notice, informational), log4j and
 * Python (`warning`, `critical`), Go's zap and logrus (`panic`, `dpanic`). Matching is
 * case-insensitive. Anything else is rejected with the list below, never guessed.
 */
import { LEVELS, type Level } from '../../config/common.ts';
import { PINO_LEVELS } from '../../core/record.ts';

export { PINO_LEVELS };

/** Other loggers' level names, lower-case, to the pino label they mean. */
export const LEVEL_ALIASES: Readonly<Record<string, Level>> = {
  warning: 'warn',
  err: 'error',
  critical: 'fatal',
  crit: 'fatal',
  emerg: 'fatal',
  emergency: 'fatal',
  alert: 'fatal',
  panic: 'fatal',
  dpanic: 'fatal',
  notice: 'info',
  informational: 'info',
};

/** Used in rejection reasons, so an operator sees every accepted spelling. */
export const LEVEL_EXPECTED = `one of ${LEVELS.join(', ')}, a pino number 10..60 or an alias (${Object.keys(LEVEL_ALIASES).join(', ')})`;

const LABELS = new Set<string>(LEVELS);

/**
 * How a `level` value maps: `level` is the pino label, `asIs` says whether the router
 * accepts the original value unchanged (a pino number, or a label in any case), so the
 * agent can forward the line's bytes without rewriting the field.
 */
export interface LevelMatch {
  level: Level;
  asIs: boolean;
}

/** Maps a `level` field's value; undefined when it is not a level. */
export function matchLevel(value: unknown): LevelMatch | undefined {
  if (typeof value === 'number') {
    const level = PINO_LEVELS[value];
    return level === undefined ? undefined : { level, asIs: true };
  }
  if (typeof value !== 'string' || value.length > 16) return undefined;
  const lower = value.toLowerCase();
  if (LABELS.has(lower)) return { level: lower as Level, asIs: true };
  const alias = LEVEL_ALIASES[lower];
  return alias === undefined || !Object.hasOwn(LEVEL_ALIASES, lower) ? undefined : { level: alias, asIs: false };
}

/** RFC 5424 severity (0..7) to level: 0-2 fatal, 3 error, 4 warn, 5-6 info, 7 debug. */
export const SEVERITY_LEVELS: readonly Level[] = ['fatal', 'fatal', 'fatal', 'error', 'warn', 'info', 'info', 'debug'];
