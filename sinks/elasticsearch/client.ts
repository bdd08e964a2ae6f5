/**
 * The Elasticsearch (v9) client adapted to search-core's SearchClient: bulk through the
 * transport with the ready NDJSON Buffer as `bulkBody`, no client-side retries (the runtime
 * retries), the abort signal passed through.
 */
import { Client } from '@elastic/elasticsearch';
import { parseRetryAfter } from '../http/retry-after.ts';
import { authOptions, errorReply, type SearchSinkConfig, tlsOptions } from '../search-core/connection-options.ts';
import { BULK_FILTER_PATH, type SearchClient, type SearchReply } from '../search-core/search-client.ts';

function retryAfterOf(headers: Record<string, unknown>): number | undefined {
  const value = headers['retry-after'];
  return parseRetryAfter(typeof value === 'string' ? value : undefined);
}

export function elasticsearchClient(config: SearchSinkConfig): SearchClient {
  const auth = authOptions(config);
  const tls = tlsOptions(config);
  const client = new Client({
    nodes: [...config.nodes],
    maxRetries: 0,
    requestTimeout: config.requestTimeoutMs,
    ...(auth ? { auth } : {}),
    ...(tls ? { tls } : {}),
  });

  async function request(
    params: { method: string; path: string; querystring?: Record<string, string>; body?: object; bulkBody?: Buffer },
    signal: AbortSignal,
  ): Promise<SearchReply> {
    if (signal.aborted) return { kind: 'unreachable', reason: 'aborted' };
    try {
      const res = await client.transport.request(params as never, { signal, meta: true });
      return { kind: 'response', statusCode: res.statusCode ?? 0, body: res.body };
    } catch (err) {
      return errorReply(err, retryAfterOf);
    }
  }

  return {
    bulk: (bulkBody, signal) =>
      request({ method: 'POST', path: '/_bulk', querystring: { filter_path: BULK_FILTER_PATH }, bulkBody }, signal),
    putIndexTemplate: (name, body, signal) =>
      request({ method: 'PUT', path: `/_index_template/${encodeURIComponent(name)}`, body }, signal),
    deleteDocument: (index, id, signal) =>
      request({ method: 'DELETE', path: `/${encodeURIComponent(index)}/_doc/${encodeURIComponent(id)}` }, signal),
    close: () => client.close(),
  };
}
