/** HTTP sink: POSTs batches to an endpoint. */
import { z } from 'zod';
import { doc, expected } from './common.ts';
import { sinkCommonShape } from './sink-common.ts';

export const httpSinkSchema = z
  .object({
    type: doc(z.literal('http'), 'Sink type.', 'http'),
    ...sinkCommonShape,
    url: doc(
      z.url(expected('an http(s) URL')),
      'Endpoint that receives one POST per batch.',
      'http://127.0.0.1:8080/ingest',
    ),
    format: doc(
      z.enum(['json', 'ndjson']).default('ndjson'),
      'Body format: one JSON array, or one JSON record per line.',
      'ndjson',
    ),
    headers: doc(
      z.record(z.string(), z.string()).default({}),
      'Extra request headers; values with secrets should use ${NAME}.',
      { Authorization: 'Bearer ${INGEST_TOKEN}' },
    ),
  })
  .strict();
