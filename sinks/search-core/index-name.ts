/**
 * Index names from the sink's `indexTemplate`: `{logId}` and date patterns in braces
 * (`{yyyy.MM.dd}`, `{yyyy.MM.dd.HH}`) are substituted per record, the date from the record's
 * Kafka timestamp in UTC. The index name is the destination key, so this runs once per
 * record: the template is compiled once, the date string is cached per UTC hour and the
 * lower-cased logId per logId.
 */

/** Date tokens a pattern may use; hour resolution at most, which is what makes the per-hour cache exact. */
const DATE_TOKENS = /yyyy|MM|dd|HH/g;
/** Characters a date pattern may have between tokens: all are legal in index names. */
const DATE_SEPARATORS = /^[._-]*$/;
/** Characters the literal parts of a template may use (index names are lowercase; no \ / * ? " < > | , # or space). */
const LITERAL = /^[a-z0-9._+-]*$/;
const HOUR_MS = 3_600_000;
/** Index names are limited to 255 bytes by both engines. */
const MAX_INDEX_NAME_BYTES = 255;

type Part = { kind: 'literal'; text: string } | { kind: 'logId' } | { kind: 'date'; pattern: string };

export interface IndexNamer {
  /** The index a record goes to. */
  indexOf(logId: string, timestampMs: number): string;
  /** The template with every placeholder replaced by `*`: the index pattern of the engine-side index template. */
  readonly pattern: string;
}

/** Formats a UTC date with the tokens yyyy, MM, dd, HH. */
export function formatUtc(pattern: string, timestampMs: number): string {
  const d = new Date(timestampMs);
  return pattern.replace(DATE_TOKENS, (token) => {
    switch (token) {
      case 'yyyy':
        return String(d.getUTCFullYear()).padStart(4, '0');
      case 'MM':
        return String(d.getUTCMonth() + 1).padStart(2, '0');
      case 'dd':
        return String(d.getUTCDate()).padStart(2, '0');
      default:
        return String(d.getUTCHours()).padStart(2, '0');
    }
  });
}

function parse(template: string): Part[] {
  const parts: Part[] = [];
  const re = /\{([^{}]*)\}/g;
  let last = 0;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    if (m.index > last) parts.push({ kind: 'literal', text: template.slice(last, m.index) });
    const name = m[1]!;
    if (name === 'logId') parts.push({ kind: 'logId' });
    else if (/yyyy|MM|dd|HH/.test(name) && DATE_SEPARATORS.test(name.replace(DATE_TOKENS, ''))) {
      parts.push({ kind: 'date', pattern: name });
    } else {
      throw new Error(
        `indexTemplate "${template}": expected {logId} or a date pattern of yyyy, MM, dd, HH and . - _ in braces, found {${name}}`,
      );
    }
    last = m.index + m[0].length;
  }
  if (last < template.length) parts.push({ kind: 'literal', text: template.slice(last) });
  for (const p of parts) {
    if (p.kind === 'literal' && !LITERAL.test(p.text)) {
      throw new Error(
        `indexTemplate "${template}": expected lowercase letters, digits and . _ + - outside braces (index names are lowercase), found "${p.text}"`,
      );
    }
  }
  if (/^[-_+]/.test(template)) {
    throw new Error(`indexTemplate "${template}": expected a name that does not start with -, _ or +`);
  }
  if (!parts.some((p) => p.kind === 'logId')) {
    throw new Error(`indexTemplate "${template}": expected {logId} in the template`);
  }
  return parts;
}

/** Compiles an index template; throws a message naming the template for anything the engines would refuse. */
export function compileIndexTemplate(template: string): IndexNamer {
  const parts = parse(template);
  const pattern = parts
    .map((p) => (p.kind === 'literal' ? p.text : '*'))
    .join('')
    .replace(/\*+/g, '*');
  // logIds allow upper case (config/log-id.ts); index names do not.
  const lowered = new Map<string, string>();
  let cachedHour = Number.NaN;
  let cachedDates: string[] = [];
  const datePatterns = parts.flatMap((p) => (p.kind === 'date' ? [p.pattern] : []));

  return {
    pattern,
    indexOf(logId: string, timestampMs: number): string {
      const hour = Math.floor(timestampMs / HOUR_MS);
      if (hour !== cachedHour) {
        cachedDates = datePatterns.map((p) => formatUtc(p, timestampMs));
        cachedHour = hour;
      }
      let id = lowered.get(logId);
      if (id === undefined) {
        id = logId.toLowerCase();
        lowered.set(logId, id);
      }
      let name = '';
      let d = 0;
      for (const p of parts) {
        if (p.kind === 'literal') name += p.text;
        else if (p.kind === 'logId') name += id;
        else name += cachedDates[d++];
      }
      if (name.length > MAX_INDEX_NAME_BYTES) name = name.slice(0, MAX_INDEX_NAME_BYTES);
      return name;
    },
  };
}
