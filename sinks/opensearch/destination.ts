/** The opensearch sink type: search-core's destination over the official OpenSearch client. */
import type { DestinationFactory } from '../core/destination.ts';
import type { SearchSinkConfig } from '../search-core/connection-options.ts';
import { createSearchDestination } from '../search-core/search-destination.ts';
import { openSearchClient } from './client.ts';

export const createOpenSearchDestination: DestinationFactory<Extract<SearchSinkConfig, { type: 'opensearch' }>> = (
  config,
  ctx,
) =>
  createSearchDestination({
    engine: 'opensearch',
    indexTemplate: config.indexTemplate,
    client: openSearchClient(config),
    logger: ctx.logger.child({ sink: config.name, type: 'opensearch' }),
    requestTimeoutMs: config.requestTimeoutMs,
  });
