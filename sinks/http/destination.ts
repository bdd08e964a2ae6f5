/**
 * The http sink type: one POST per batch to `url`, the body in `format` (request-body.ts),
 * the configured headers added. One key, the URL: there is one endpoint to fail.
 *
 * Health check: POST an empty batch (`[]`, or an empty NDJSON body) with the same headers
 * through the same code path; a HEAD would test neither the method, the auth nor the route
 * the writes use. Endpoints must accept an empty batch with a 2xx.
 */
import type {
  Destination,
  DestinationFactory,
  ResolvedSinkConfig,
  SinkRecord,
  WriteResult,
} from '../core/destination.ts';
import { CONTENT_TYPES, requestBody } from './request-body.ts';
import { statusResult } from './status-result.ts';

type HttpSinkConfig = Extract<ResolvedSinkConfig, { type: 'http' }>;

function errorText(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return 'request aborted (timeout)';
  const cause = e.cause ? ` (${e.cause.code ?? e.cause.message ?? ''})` : '';
  return `${e.message ?? String(err)}${cause}`;
}

export function httpDestination(config: Pick<HttpSinkConfig, 'url' | 'format' | 'headers'>): Destination {
  const headers = { ...config.headers, 'content-type': CONTENT_TYPES[config.format] };

  async function post(records: readonly SinkRecord[], signal: AbortSignal): Promise<WriteResult> {
    if (signal.aborted) return { kind: 'retryable', reason: 'aborted before the request' };
    try {
      const res = await fetch(config.url, {
        method: 'POST',
        headers,
        body: requestBody(config.format, records),
        signal,
      });
      // Read the body either way: a reason needs it, and an unread body keeps the connection from being reused.
      const text = await res.text();
      return statusResult(res.status, res.headers.get('retry-after'), res.ok ? '' : text);
    } catch (err) {
      return { kind: 'retryable', reason: `POST ${config.url}: ${errorText(err)}` };
    }
  }

  return {
    keyOf: () => config.url,
    write: (_key, records, signal) => post(records, signal),
    async healthCheck(signal) {
      const result = await post([], signal);
      if (result.kind !== 'ok') {
        const reason = result.kind === 'partial' ? 'partial' : result.reason;
        throw new Error(`http health check failed: POST of an empty batch to ${config.url}: ${reason}`);
      }
    },
    async close() {},
  };
}

export const createHttpDestination: DestinationFactory<HttpSinkConfig> = async (config) => httpDestination(config);
