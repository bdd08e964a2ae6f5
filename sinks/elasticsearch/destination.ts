/** The elasticsearch sink type: search-core's destination over the official Elasticsearch 9 client. */
import type { DestinationFactory } from '../core/destination.ts';
import type { SearchSinkConfig } from '../search-core/connection-options.ts';
import { createSearchDestination } from '../search-core/search-destination.ts';
import { elasticsearchClient } from './client.ts';

export const createElasticsearchDestination: DestinationFactory<
  Extract<SearchSinkConfig, { type: 'elasticsearch' }>
> = (config, ctx) =>
  createSearchDestination({
    engine: 'elasticsearch',
    indexTemplate: config.indexTemplate,
    client: elasticsearchClient(config),
    logger: ctx.logger.child({ sink: config.name, type: 'elasticsearch' }),
    requestTimeoutMs: config.requestTimeoutMs,
  });
