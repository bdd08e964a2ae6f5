/**
 * What a bulk response means for the runtime: which items to retry, which to dead-letter.
 *
 * Per item (status of the item, error type):
 *
 * | item                                        | result                                   |
 * |---------------------------------------------|------------------------------------------|
 * | 2xx                                         | written                                  |
 * | 409 version_conflict_engine_exception       | written (a redelivery of a document with this id is already there) |
 * | 429 (es_rejected_execution_exception, …)    | retryable                                |
 * | 5xx                                         | retryable                                |
 * | 403 cluster_block_exception read-only-allow-delete | retryable (the flood-stage disk block lifts itself when disk frees up) |
 * | 400 index_closed_exception | retryable (an operator closed the index and may reopen it: the records wait in the gutter, then the dead-letter topic, for `dlq replay`) |
 * | 400 mapper_parsing_exception, document_parsing_exception, illegal_argument_exception, other 4xx | not retryable: dead letter |
 *
 * When every item of the batch failed with the same index-level error (the index is
 * closed, blocked, missing), that is the key failing, not the documents: the batch gets a
 * whole-batch `failed` / `retryable` so the runtime's per-key throttle and gutter see it.
 *
 * Whole request: 429, 5xx, 408, connection errors, timeouts and aborts are retryable;
 * 401 and 403 are `failed` (credentials), as is any other 4xx (413 too large, 400 bad request).
 */
import type { ItemFailure, WriteResult } from '../core/destination.ts';

/** Reasons are logged and put in dead-letter headers: long engine messages are cut here. */
export const MAX_REASON_CHARS = 500;

/** Errors about the index rather than the document. */
const INDEX_LEVEL_ERRORS = new Set(['index_closed_exception', 'cluster_block_exception', 'index_not_found_exception']);

export interface BulkItemError {
  type?: string;
  reason?: string;
  caused_by?: { type?: string; reason?: string };
}

export interface BulkItem {
  status: number;
  error?: BulkItemError;
}

export type ItemOutcome = { written: true } | { written: false; retryable: boolean; reason: string; type: string };

function cut(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text;
}

/** The reason text of an item error: `400 mapper_parsing_exception: failed to parse (json_parse_exception: ...)` */
export function itemReason(status: number, error: BulkItemError | undefined): string {
  if (!error) return `${status}`;
  const cause = error.caused_by ? ` (${error.caused_by.type ?? 'cause'}: ${error.caused_by.reason ?? ''})` : '';
  return cut(`${status} ${error.type ?? 'error'}: ${error.reason ?? ''}${cause}`);
}

export function classifyItem(item: BulkItem): ItemOutcome {
  const { status, error } = item;
  if (status >= 200 && status < 300) return { written: true };
  const type = error?.type ?? '';
  if (status === 409 && type === 'version_conflict_engine_exception') return { written: true };
  const reason = itemReason(status, error);
  const diskBlock = status === 403 && type === 'cluster_block_exception' && /allow[ -]delete/.test(error?.reason ?? '');
  const retryable = status === 429 || status >= 500 || diskBlock || type === 'index_closed_exception';
  return { written: false, retryable, reason, type };
}

/** The items of a bulk response in request order (each item is `{ <action>: { status, error } }`). */
export function bulkItems(body: unknown): BulkItem[] | undefined {
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return undefined;
  return items.map((entry) => Object.values(entry as Record<string, BulkItem>)[0] ?? { status: 0 });
}

/** Maps a 200 bulk response for `count` records. */
export function mapBulkResponse(body: unknown, count: number): WriteResult {
  if ((body as { errors?: unknown } | null)?.errors === false) return { kind: 'ok' };
  const items = bulkItems(body);
  if (!items || items.length !== count) {
    return { kind: 'retryable', reason: `bulk response has ${items?.length ?? 'no'} items for ${count} records` };
  }
  const failed: ItemFailure[] = [];
  const types = new Set<string>();
  items.forEach((item, index) => {
    const outcome = classifyItem(item);
    if (outcome.written) return;
    failed.push({ index, retryable: outcome.retryable, reason: outcome.reason });
    types.add(outcome.type);
  });
  if (failed.length === 0) return { kind: 'ok' };
  const [only] = types;
  if (failed.length === count && types.size === 1 && only !== undefined && INDEX_LEVEL_ERRORS.has(only)) {
    const first = failed[0]!;
    return first.retryable ? { kind: 'retryable', reason: first.reason } : { kind: 'failed', reason: first.reason };
  }
  return { kind: 'partial', failed };
}

/** Whole-request status (not 2xx) to a result. */
export function mapRequestStatus(
  status: number,
  reason: string,
  retryAfterMs?: number,
): Extract<WriteResult, { kind: 'retryable' | 'failed' }> {
  const text = cut(`${status} ${reason}`.trim());
  if (status === 429 || status === 408 || status >= 500) {
    return retryAfterMs === undefined
      ? { kind: 'retryable', reason: text }
      : { kind: 'retryable', reason: text, retryAfterMs };
  }
  return { kind: 'failed', reason: text };
}

/** The error message of an engine error body (`{ error: { type, reason } }` or `{ error: "..." }`). */
export function errorBodyReason(body: unknown): string {
  const error = (body as { error?: unknown } | null)?.error;
  if (typeof error === 'string') return cut(error);
  if (error && typeof error === 'object') {
    const e = error as BulkItemError;
    return cut(`${e.type ?? 'error'}: ${e.reason ?? ''}`);
  }
  return typeof body === 'string' ? cut(body) : '';
}
