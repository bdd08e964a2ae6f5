/** A sink: one destination, one consumer group; discriminated on `type`. */
import { z } from 'zod';
import { blackholeSinkSchema } from './sink-blackhole.ts';
import { fileSinkSchema } from './sink-file.ts';
import { httpSinkSchema } from './sink-http.ts';
import { elasticsearchSinkSchema, opensearchSinkSchema } from './sink-search.ts';

export const SINK_TYPES = ['elasticsearch', 'opensearch', 'file', 'http', 'blackhole'] as const;

export const sinkSchema = z.discriminatedUnion('type', [
  elasticsearchSinkSchema,
  opensearchSinkSchema,
  fileSinkSchema,
  httpSinkSchema,
  blackholeSinkSchema,
]);

export type SinkConfig = z.output<typeof sinkSchema>;
