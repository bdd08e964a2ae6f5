/**
 * Which logId a record gets when it does not name one validly itself.
 *
 * Order, first hit wins (the same for every input):
 *   1. the record's own logId: the `logId` field of a JSON object. A JSON object whose
 *      `logId` is present but invalid is rejected, not re-labelled: the service meant
 *      something and a silent override would route its logs to someone else.
 *   2. mapping rules, in config order: a rule matches when every `match` entry equals the
 *      record's value for that field (`===`, top-level fields only, no patterns).
 *   3. the input's implicit name: syslog APP-NAME / TAG, when it is a valid logId.
 *   4. the input's `defaultLogId`.
 *   5. otherwise the record is rejected: 'no logId: …'.
 * Rules come before the default because a default is the catch-all; a rule after it could
 * never fire.
 */

/**
 * The router's rule for logIds (router/gateway/lines.ts): a record the agent emits must
 * pass it, or the whole point of parsing at the edge is lost.
 */
export { isLogId, LOG_ID, LOG_ID_EXPECTED } from '../../core/record.ts';

import { isLogId, LOG_ID_EXPECTED } from '../../core/record.ts';

/** A mapping rule: `{ match: { appName: 'nginx' }, logId: 'edge-nginx' }`. */
export interface LogIdRule {
  /** Field name to the exact value it must have; all entries must match. */
  readonly match: Readonly<Record<string, string | number | boolean>>;
  readonly logId: string;
}

/** Rules checked once at start-up, so a bad rule names itself instead of failing per record. */
export function checkRules(rules: readonly LogIdRule[] = []): readonly LogIdRule[] {
  rules.forEach((rule, i) => {
    if (!isLogId(rule.logId)) {
      throw new TypeError(`rules[${i}].logId: expected ${LOG_ID_EXPECTED}, found ${JSON.stringify(rule.logId)}`);
    }
    const keys = rule.match === null || typeof rule.match !== 'object' ? [] : Object.keys(rule.match);
    if (keys.length === 0) {
      throw new TypeError(`rules[${i}].match: expected at least one field; use defaultLogId for a catch-all`);
    }
    for (const k of keys) {
      const v = rule.match[k];
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new TypeError(`rules[${i}].match.${k}: expected a string, number or boolean, found ${JSON.stringify(v)}`);
      }
    }
  });
  return Object.freeze(rules.map((r) => Object.freeze({ match: Object.freeze({ ...r.match }), logId: r.logId })));
}

/** The logId of the first rule whose every `match` entry equals the record's field. */
export function matchRules(rules: readonly LogIdRule[], fields: Readonly<Record<string, unknown>>): string | undefined {
  for (const rule of rules) {
    let all = true;
    for (const k in rule.match) {
      if (!Object.hasOwn(fields, k) || fields[k] !== rule.match[k]) {
        all = false;
        break;
      }
    }
    if (all) return rule.logId;
  }
  return undefined;
}
