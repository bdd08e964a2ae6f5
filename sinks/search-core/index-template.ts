/**
 * The engine-side index template installed at start, so every index the sink creates gets
 * the same mapping: `@timestamp` and `time` (pino's epoch ms) as dates, `logId`, `level`
 * and `host` as keywords (exact filters and aggregations), `msg` as text; everything else
 * dynamic. A composable template (`_index_template`), which Elasticsearch 7.8+ and every
 * OpenSearch understand alike.
 */
import { createHash } from 'node:crypto';

/** The template name for the default index template; other templates get a suffix (see templateName). */
export const INDEX_TEMPLATE_NAME = 'spillway-logs';
/**
 * Elasticsearch ships built-in templates at priority 100 (one is `logs-*-*`, turning such
 * indices into data streams); 200 wins over them, as Elastic's docs advise for own templates.
 */
export const INDEX_TEMPLATE_PRIORITY = 200;

/**
 * `spillway-logs` for the default pattern `logs-*-*`; `spillway-logs-<hash of the pattern>`
 * otherwise, so two sinks with different index templates on one cluster do not overwrite
 * each other's template.
 */
export function templateName(pattern: string): string {
  if (pattern === 'logs-*-*') return INDEX_TEMPLATE_NAME;
  return `${INDEX_TEMPLATE_NAME}-${createHash('sha256').update(pattern).digest('hex').slice(0, 12)}`;
}

export function indexTemplateBody(pattern: string): object {
  return {
    index_patterns: [pattern],
    priority: INDEX_TEMPLATE_PRIORITY,
    _meta: { managed_by: 'spillway' },
    template: {
      mappings: {
        dynamic: true,
        properties: {
          '@timestamp': { type: 'date' },
          time: { type: 'date', format: 'epoch_millis||strict_date_optional_time' },
          logId: { type: 'keyword' },
          level: { type: 'keyword' },
          host: { type: 'keyword' },
          msg: { type: 'text' },
        },
      },
    },
  };
}
