/**
 * The destination both search sink types share: key = index name, write = one bulk
 * request, health check = index and delete a probe document. The engine client comes from
 * the type's folder (sinks/opensearch, sinks/elasticsearch).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/logger.ts';
import type { Destination, SinkRecord, WriteResult } from '../core/destination.ts';
import { buildBulkBody, documentId } from './bulk-body.ts';
import { errorBodyReason, mapBulkResponse, mapRequestStatus } from './bulk-result.ts';
import { compileIndexTemplate } from './index-name.ts';
import { indexTemplateBody, templateName } from './index-template.ts';
import type { SearchClient, SearchReply } from './search-client.ts';

/** The index the health check writes its probe document to (and deletes it from). */
export const HEALTHCHECK_INDEX = 'spillway-healthcheck';

export interface SearchDestinationOptions {
  /** For messages: `opensearch` or `elasticsearch`. */
  engine: string;
  indexTemplate: string;
  client: SearchClient;
  logger: Logger;
  /** Bound on the start-up template installation. */
  requestTimeoutMs: number;
}

/** A reply to the result the runtime acts on; `what` names the request in reasons. */
export function replyResult(reply: SearchReply, what: string, okBody: (body: unknown) => WriteResult): WriteResult {
  if (reply.kind === 'unreachable') return { kind: 'retryable', reason: `${what}: ${reply.reason}` };
  if (reply.statusCode >= 200 && reply.statusCode < 300) return okBody(reply.body);
  const result = mapRequestStatus(reply.statusCode, errorBodyReason(reply.body), reply.retryAfterMs);
  result.reason = `${what}: ${result.reason}`;
  return result;
}

export async function createSearchDestination(options: SearchDestinationOptions): Promise<Destination> {
  const { engine, client, logger } = options;
  const namer = compileIndexTemplate(options.indexTemplate);
  const template = { name: templateName(namer.pattern), body: indexTemplateBody(namer.pattern) };
  let installed = false;
  let installing: Promise<WriteResult> | undefined;

  /** Installs the index template once; a failed attempt is retried by the next write. */
  function ensureTemplate(signal: AbortSignal): Promise<WriteResult> {
    if (installed) return Promise.resolve({ kind: 'ok' });
    installing ??= client.putIndexTemplate(template.name, template.body, signal).then((reply) => {
      const result = replyResult(reply, `installing index template ${template.name}`, () => ({ kind: 'ok' }));
      if (result.kind === 'ok') {
        installed = true;
        logger.info({ template: template.name, pattern: namer.pattern }, 'index template installed');
      } else {
        installing = undefined;
      }
      return result;
    });
    return installing;
  }

  async function bulk(index: string, records: readonly SinkRecord[], signal: AbortSignal): Promise<WriteResult> {
    if (signal.aborted) return { kind: 'retryable', reason: 'aborted before the bulk request' };
    const ready = await ensureTemplate(signal);
    if (ready.kind !== 'ok') return ready;
    const reply = await client.bulk(buildBulkBody(index, records), signal);
    return replyResult(reply, `bulk to ${index}`, (body) => mapBulkResponse(body, records.length));
  }

  const first = await ensureTemplate(AbortSignal.timeout(options.requestTimeoutMs));
  if (first.kind === 'failed') throw new Error(`${engine} sink: ${first.reason}`);
  if (first.kind === 'retryable')
    logger.warn({ reason: first.reason }, 'index template not installed yet; retrying on the first write');

  return {
    keyOf: (record) => namer.indexOf(record.logId, record.timestampMs),
    write: bulk,
    async healthCheck(signal) {
      const probe: SinkRecord = {
        cluster: 'healthcheck',
        topic: randomUUID(),
        partition: 0,
        offset: 0n,
        logId: 'spillway-healthcheck',
        value: Buffer.from('{"msg":"spillway health check probe"}'),
        timestampMs: Date.now(),
        attempts: 0,
      };
      const written = await bulk(HEALTHCHECK_INDEX, [probe], signal);
      if (written.kind !== 'ok') {
        const reason = written.kind === 'partial' ? written.failed[0]?.reason : written.reason;
        throw new Error(
          `${engine} health check failed: could not index a probe document into ${HEALTHCHECK_INDEX}: ${reason}`,
        );
      }
      const id = documentId(probe);
      const deleted = replyResult(await client.deleteDocument(HEALTHCHECK_INDEX, id, signal), 'delete', () => ({
        kind: 'ok',
      }));
      if (deleted.kind === 'retryable' || deleted.kind === 'failed') {
        throw new Error(
          `${engine} health check failed: could not delete the probe document from ${HEALTHCHECK_INDEX}: ${deleted.reason}`,
        );
      }
    },
    close: () => client.close(),
  };
}
