/**
 * The OpenSearch client adapted to search-core's SearchClient: bulk with the ready NDJSON
 * Buffer (the transport passes a Buffer body through untouched), no client-side retries
 * (the runtime retries), and the abort signal wired to the request's abort().
 */
import { Client } from '@opensearch-project/opensearch';
import { parseRetryAfter } from '../http/retry-after.ts';
import { authOptions, errorReply, type SearchSinkConfig, tlsOptions } from '../search-core/connection-options.ts';
import { BULK_FILTER_PATH, type SearchClient, type SearchReply } from '../search-core/search-client.ts';

interface Abortable<T> extends PromiseLike<T> {
  abort(): unknown;
}

function retryAfterOf(headers: Record<string, unknown>): number | undefined {
  const value = headers['retry-after'];
  return parseRetryAfter(typeof value === 'string' ? value : undefined);
}

async function call(
  request: () => Abortable<{ statusCode: number | null; body: unknown }>,
  signal: AbortSignal,
): Promise<SearchReply> {
  if (signal.aborted) return { kind: 'unreachable', reason: 'aborted' };
  const pending = request();
  // A block body, not `() => pending.abort()`: abort() returns the request, a thenable, and
  // Node's EventTarget chains a listener's returned thenable and rethrows its rejection as
  // an uncaught exception: the aborted request's RequestAbortedError killed the sink.
  const onAbort = () => {
    pending.abort();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await pending;
    return { kind: 'response', statusCode: res.statusCode ?? 0, body: res.body };
  } catch (err) {
    return errorReply(err, retryAfterOf);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export function openSearchClient(config: SearchSinkConfig): SearchClient {
  const auth = authOptions(config);
  const ssl = tlsOptions(config);
  const client = new Client({
    nodes: [...config.nodes],
    maxRetries: 0,
    requestTimeout: config.requestTimeoutMs,
    // The OpenSearch client knows basic auth only; an API key goes in the header as Elasticsearch expects it.
    ...(auth && 'apiKey' in auth ? { headers: { authorization: `ApiKey ${auth.apiKey}` } } : {}),
    ...(auth && 'username' in auth ? { auth } : {}),
    ...(ssl ? { ssl } : {}),
  });
  return {
    bulk: (body, signal) =>
      call(() => client.bulk({ body: body as never, filter_path: BULK_FILTER_PATH }) as never, signal),
    putIndexTemplate: (name, template, signal) =>
      call(() => client.indices.putIndexTemplate({ name, body: template as never }) as never, signal),
    deleteDocument: (index, id, signal) => call(() => client.delete({ index, id }) as never, signal),
    close: () => client.close(),
  };
}
