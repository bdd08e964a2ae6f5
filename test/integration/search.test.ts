/**
 * The stack's search engine is real: index a document, search it back by a term, and see
 * the index mapping the engine inferred. Uses the OpenSearch client the opensearch sink uses.
 */
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from './helpers/kafka.ts';

describe('search engine of the local stack', () => {
  const client = new Client({ node: inject('stack').searchUrl, requestTimeout: 30_000 });
  const index = uniqueName('it-search').replace('.', '-');
  afterAll(async () => {
    await client.indices.delete({ index }).catch(() => {});
    await client.close();
  });

  it('is OpenSearch 2.19 and its cluster is healthy', async () => {
    const info = await client.info();
    expect(info.body.version.distribution).toBe('opensearch');
    expect(info.body.version.number).toMatch(/^2\.19\./);
    const health = await client.cluster.health({});
    expect(['green', 'yellow']).toContain(health.body.status);
  });

  it('indexes a log record and finds it by a term of its message', async () => {
    const record = {
      '@timestamp': '2026-11-26T18:00:00.000Z',
      logId: 'checkout',
      level: 'error',
      msg: 'payment upstream timeout after 3 retries',
      seq: 42,
    };
    const put = await client.index({ index, id: 'r-42', body: record, refresh: 'wait_for' });
    expect(put.body.result).toBe('created');
    await client.index({ index, id: 'r-43', body: { ...record, msg: 'cart updated', seq: 43 }, refresh: 'wait_for' });

    const found = await client.search({ index, body: { query: { match: { msg: 'upstream' } } } });
    expect(found.body.hits.total).toEqual({ value: 1, relation: 'eq' });
    expect(found.body.hits.hits[0]!._id).toBe('r-42');
    expect(found.body.hits.hits[0]!._source).toEqual(record);

    const mapping = await client.indices.getMapping({ index });
    expect(mapping.body[index]!.mappings.properties!['@timestamp']).toEqual({ type: 'date' });
  });
});
