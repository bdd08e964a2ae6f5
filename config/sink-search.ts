/** Elasticsearch and OpenSearch sinks: same options, different client. */
import { z } from 'zod';
import { doc, expected, tlsSchema } from './common.ts';
import { sinkCommonShape } from './sink-common.ts';

/** One index per logId per day: retention is a cheap index delete, and a noisy logId cannot bloat others' mappings. */
export const DEFAULT_INDEX_TEMPLATE = 'logs-{logId}-{yyyy.MM.dd}';

const searchAuthSchema = doc(
  z.union(
    [
      z
        .object({
          username: doc(z.string().min(1), 'Basic-auth user.', 'spillway'),
          password: doc(z.string().min(1), 'Basic-auth password.', '${SEARCH_PASSWORD}'),
        })
        .strict(),
      z.object({ apiKey: doc(z.string().min(1), 'API key (base64 id:key).', '${SEARCH_API_KEY}') }).strict(),
    ],
    expected('either {username, password} or {apiKey}'),
  ),
  'Either {username, password} or {apiKey}; omit for none.',
  { username: 'spillway', password: '${SEARCH_PASSWORD}' },
);

const searchShape = {
  ...sinkCommonShape,
  nodes: doc(z.array(z.url(expected('an http(s) URL'))).min(1), 'Search nodes to send bulk requests to.', [
    'http://127.0.0.1:19200',
  ]),
  indexTemplate: doc(
    z
      .string()
      .regex(/\{logId\}/, expected('an index template containing {logId}'))
      .default(DEFAULT_INDEX_TEMPLATE),
    'Index name; {logId} and a date pattern in braces ({yyyy.MM.dd}) are substituted per record.',
    DEFAULT_INDEX_TEMPLATE,
  ),
  auth: searchAuthSchema.optional(),
  tls: tlsSchema.optional(),
};

export const elasticsearchSinkSchema = z
  .object({ type: doc(z.literal('elasticsearch'), 'Sink type.', 'elasticsearch'), ...searchShape })
  .strict();
export const opensearchSinkSchema = z
  .object({ type: doc(z.literal('opensearch'), 'Sink type.', 'opensearch'), ...searchShape })
  .strict();
