/**
 * What the search destination needs from an engine client; the opensearch and
 * elasticsearch folders each adapt their official client to it. A reply is either a
 * response with any status (clients must not throw for HTTP statuses) or `unreachable`
 * (connection refused or reset, timeout, abort): the caller maps both to a WriteResult.
 */

export type SearchReply =
  | { kind: 'response'; statusCode: number; body: unknown; retryAfterMs?: number }
  | { kind: 'unreachable'; reason: string };

export interface SearchClient {
  /** POST /_bulk with a ready NDJSON body; the reply body needs `errors` and `items[].*.{status,error}`. */
  bulk(body: Buffer, signal: AbortSignal): Promise<SearchReply>;
  /** PUT /_index_template/<name>. */
  putIndexTemplate(name: string, template: object, signal: AbortSignal): Promise<SearchReply>;
  /** DELETE /<index>/_doc/<id>. */
  deleteDocument(index: string, id: string, signal: AbortSignal): Promise<SearchReply>;
  close(): Promise<void>;
}

/** Query string every bulk request uses: the reply carries only what bulk-result.ts reads. */
export const BULK_FILTER_PATH = 'errors,items.*.status,items.*.error';
