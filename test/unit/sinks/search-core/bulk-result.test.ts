import { describe, expect, it } from 'vitest';
import {
  type BulkItem,
  classifyItem,
  mapBulkResponse,
  mapRequestStatus,
} from '../../../../sinks/search-core/bulk-result.ts';

const err = (type: string, reason = 'r') => ({ type, reason });

describe('bulk item results', () => {
  it.each<[string, BulkItem, ReturnType<typeof classifyItem>]>([
    ['201 created', { status: 201 }, { written: true }],
    ['200 ok', { status: 200 }, { written: true }],
    [
      '409 version conflict (redelivered document already there)',
      { status: 409, error: err('version_conflict_engine_exception', '[a]: version conflict') },
      { written: true },
    ],
    [
      '429 rejected execution',
      { status: 429, error: err('es_rejected_execution_exception', 'queue full') },
      {
        written: false,
        retryable: true,
        reason: '429 es_rejected_execution_exception: queue full',
        type: 'es_rejected_execution_exception',
      },
    ],
    [
      '500',
      { status: 500, error: err('exception', 'boom') },
      { written: false, retryable: true, reason: '500 exception: boom', type: 'exception' },
    ],
    [
      '503 unavailable shards',
      { status: 503, error: err('unavailable_shards_exception', 'primary shard is not active') },
      {
        written: false,
        retryable: true,
        reason: '503 unavailable_shards_exception: primary shard is not active',
        type: 'unavailable_shards_exception',
      },
    ],
    [
      '400 mapper_parsing_exception with a cause',
      {
        status: 400,
        error: {
          type: 'mapper_parsing_exception',
          reason: 'failed to parse field [@timestamp]',
          caused_by: err('illegal_argument_exception', 'bad date'),
        },
      },
      {
        written: false,
        retryable: false,
        reason:
          '400 mapper_parsing_exception: failed to parse field [@timestamp] (illegal_argument_exception: bad date)',
        type: 'mapper_parsing_exception',
      },
    ],
    [
      '400 index_closed_exception',
      { status: 400, error: err('index_closed_exception', 'closed') },
      {
        written: false,
        retryable: true,
        reason: '400 index_closed_exception: closed',
        type: 'index_closed_exception',
      },
    ],
    [
      '409 that is not a version conflict',
      { status: 409, error: err('other_conflict', 'x') },
      { written: false, retryable: false, reason: '409 other_conflict: x', type: 'other_conflict' },
    ],
    [
      '403 flood-stage disk block',
      {
        status: 403,
        error: err(
          'cluster_block_exception',
          'index [x] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];',
        ),
      },
      {
        written: false,
        retryable: true,
        reason:
          '403 cluster_block_exception: index [x] blocked by: [TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark, index has read-only-allow-delete block];',
        type: 'cluster_block_exception',
      },
    ],
    [
      '403 read-only / allow delete (api)',
      {
        status: 403,
        error: err('cluster_block_exception', 'blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];'),
      },
      {
        written: false,
        retryable: true,
        reason: '403 cluster_block_exception: blocked by: [FORBIDDEN/12/index read-only / allow delete (api)];',
        type: 'cluster_block_exception',
      },
    ],
    [
      '403 write block set by an operator',
      { status: 403, error: err('cluster_block_exception', 'blocked by: [FORBIDDEN/8/index write (api)];') },
      {
        written: false,
        retryable: false,
        reason: '403 cluster_block_exception: blocked by: [FORBIDDEN/8/index write (api)];',
        type: 'cluster_block_exception',
      },
    ],
    [
      '404 index_not_found_exception',
      { status: 404, error: err('index_not_found_exception', 'no such index') },
      {
        written: false,
        retryable: false,
        reason: '404 index_not_found_exception: no such index',
        type: 'index_not_found_exception',
      },
    ],
  ])('%s', (_name, item, outcome) => {
    expect(classifyItem(item)).toEqual(outcome);
  });

  it('errors:false is ok without looking at items', () => {
    expect(mapBulkResponse({ errors: false }, 3)).toEqual({ kind: 'ok' });
  });

  it('names the exact failed item indexes', () => {
    const body = {
      errors: true,
      items: [
        { create: { status: 201 } },
        { create: { status: 400, error: err('mapper_parsing_exception', 'failed to parse') } },
        { create: { status: 409, error: err('version_conflict_engine_exception') } },
        { create: { status: 429, error: err('es_rejected_execution_exception', 'full') } },
      ],
    };
    expect(mapBulkResponse(body, 4)).toEqual({
      kind: 'partial',
      failed: [
        { index: 1, retryable: false, reason: '400 mapper_parsing_exception: failed to parse' },
        { index: 3, retryable: true, reason: '429 es_rejected_execution_exception: full' },
      ],
    });
  });

  it('every item failing with the same index-level error is the whole batch (the key) failing', () => {
    const closed = { create: { status: 400, error: err('index_closed_exception', 'closed') } };
    expect(mapBulkResponse({ errors: true, items: [closed, closed] }, 2)).toEqual({
      kind: 'retryable',
      reason: '400 index_closed_exception: closed',
    });
    const mapping = { create: { status: 400, error: err('mapper_parsing_exception', 'x') } };
    expect(mapBulkResponse({ errors: true, items: [mapping, mapping] }, 2).kind).toBe('partial');
  });

  it('a response with the wrong number of items is retryable', () => {
    expect(mapBulkResponse({ errors: true, items: [{ create: { status: 201 } }] }, 2)).toEqual({
      kind: 'retryable',
      reason: 'bulk response has 1 items for 2 records',
    });
  });
});

describe('whole-request status', () => {
  it.each([
    [429, 'retryable'],
    [408, 'retryable'],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [401, 'failed'],
    [403, 'failed'],
    [400, 'failed'],
    [413, 'failed'],
  ] as const)('%i is %s', (status, kind) => {
    expect(mapRequestStatus(status, 'x').kind).toBe(kind);
  });

  it('keeps Retry-After', () => {
    expect(mapRequestStatus(429, 'too many', 2000)).toEqual({
      kind: 'retryable',
      reason: '429 too many',
      retryAfterMs: 2000,
    });
  });
});
