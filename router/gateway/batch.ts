/**
 * One agent batch, from decoded body to Kafka acknowledgements: parse and judge every line,
 * place each record, apply quotas, produce each cluster's records in parallel (acks=all),
 * and say per line what happened. Nothing here answers HTTP; server.ts maps the outcome.
 *
 * Isolation: each cluster's records are produced on their own; a cluster that is down or
 * slow fails only its own lines, as retryable, while the other clusters' lines are
 * acknowledged (issue #3).
 */
import type { SpillwayConfig } from '../../config/schema.ts';
import type { ProduceRecord } from '../../core/kafka/index.ts';
import type { Criticality } from '../../core/resilience/criticality.ts';
import { batchCriticality } from '../../core/resilience/criticality.ts';
import type { Telemetry } from '../../core/telemetry.ts';
import { criticalityOfRecord, FALLBACK_HEADER, type Placement, place } from '../placement.ts';
import { type ParsedLine, parseBody, type RejectedLine } from './lines.ts';

export type { RejectedLine };

/** Where the batch's records go: one producer per cluster. */
export interface ClusterSender {
  /** @param criticality the highest of the records', for senders that order produces by it */
  send(records: ProduceRecord[], timeoutMs: number, criticality?: Criticality): Promise<unknown>;
}

/** The quota check the gateway needs (router/quota implements it). */
export interface QuotaCheck {
  check(
    logId: string,
    records: number,
    bytes: number,
  ): { ok: true } | { ok: false; retryAfterMs: number; reason: string };
}

export interface RetryLine {
  line: number;
  reason: string;
  retryAfterMs: number;
}

export interface BatchOutcome {
  /** Records Kafka acknowledged. */
  accepted: number;
  /** Malformed lines: never retry them. */
  rejected: RejectedLine[];
  /** Lines not written but worth sending again (quota, Kafka trouble), with when. */
  retry: RetryLine[];
  /** Accepted records whose logId is not configured (placed as the fallback logId). */
  fallback: number;
  /** Highest criticality among the batch's records (undefined for a batch with none). */
  criticality: Criticality | undefined;
}

export interface BatchContext {
  config: SpillwayConfig;
  senders: ReadonlyMap<string, ClusterSender>;
  quota?: QuotaCheck;
  telemetry: Telemetry;
  /** Milliseconds left for producing; 0 or less means the deadline has passed. */
  produceBudgetMs: () => number;
}

/** How long a client should wait before retrying lines a cluster failed: a leader election or broker restart usually settles within a second. */
export const KAFKA_RETRY_AFTER_MS = 1_000;

interface Placed {
  rec: ParsedLine;
  at: Placement;
  criticality: Criticality;
}

/** One object for every fallback record's headers. */
const FALLBACK_HEADERS = { [FALLBACK_HEADER]: '1' };

export function placeAll(records: ParsedLine[], config: SpillwayConfig): Placed[] {
  return records.map((rec) => ({
    rec,
    at: place({ logId: rec.logId, level: rec.level, host: rec.host }, config),
    criticality: criticalityOfRecord(rec, config),
  }));
}

export function criticalityOfBatch(placed: Placed[]): Criticality | undefined {
  return placed.length === 0 ? undefined : batchCriticality(placed.map((p) => p.criticality));
}

export interface PreparedBatch {
  placed: Placed[];
  rejected: RejectedLine[];
  criticality: Criticality | undefined;
}

/** Parses and places a decoded body (CPU only, no I/O): what overload admission looks at. */
export function prepareBatch(body: Buffer, config: SpillwayConfig, telemetry: Telemetry): PreparedBatch {
  const { records, rejected } = parseBody(body);
  if (rejected.length > 0) {
    telemetry.inc('spillway_records_dropped_total', { reason: 'malformed', criticality: 'unknown' }, rejected.length);
  }
  const placed = placeAll(records, config);
  const perLogId = new Map<string, number>();
  for (const p of placed) perLogId.set(p.at.logId, (perLogId.get(p.at.logId) ?? 0) + 1);
  for (const [logid, n] of perLogId) telemetry.inc('spillway_records_received_total', { logid }, n);
  return { placed, rejected, criticality: criticalityOfBatch(placed) };
}

/** Applies quotas and produces; resolves when every cluster answered. */
export async function deliverBatch(batch: PreparedBatch, ctx: BatchContext): Promise<BatchOutcome> {
  const { placed, rejected, criticality } = batch;
  const t = ctx.telemetry;
  const retry: RetryLine[] = [];

  // Quotas: one decision per logId per batch, so a batch never half-passes a logId's quota.
  let admitted = placed;
  if (ctx.quota) {
    const perLogId = new Map<string, { records: number; bytes: number }>();
    for (const p of placed) {
      const s = perLogId.get(p.at.logId) ?? { records: 0, bytes: 0 };
      s.records++;
      s.bytes += p.rec.bytes.length;
      perLogId.set(p.at.logId, s);
    }
    const refused = new Map<string, { retryAfterMs: number; reason: string }>();
    for (const [logId, s] of perLogId) {
      const r = ctx.quota.check(logId, s.records, s.bytes);
      if (!r.ok) refused.set(logId, r);
    }
    if (refused.size > 0) {
      admitted = [];
      // Counted by each record's own criticality: quota is per logId, not per batch.
      const shed = new Map<string, number>();
      for (const p of placed) {
        const r = refused.get(p.at.logId);
        if (!r) {
          admitted.push(p);
          continue;
        }
        retry.push({
          line: p.rec.line,
          reason: `quota: ${r.reason} for logId "${p.at.logId}"`,
          retryAfterMs: r.retryAfterMs,
        });
        shed.set(p.criticality, (shed.get(p.criticality) ?? 0) + 1);
      }
      for (const [c, n] of shed) t.inc('spillway_records_dropped_total', { reason: 'quota', criticality: c }, n);
    }
  }

  const byCluster = new Map<string, Placed[]>();
  for (const p of admitted) {
    const list = byCluster.get(p.at.cluster) ?? [];
    list.push(p);
    byCluster.set(p.at.cluster, list);
  }

  let accepted = 0;
  let fallback = 0;
  await Promise.all(
    [...byCluster].map(async ([cluster, list]) => {
      const budget = ctx.produceBudgetMs();
      const sender = ctx.senders.get(cluster);
      let failure: string | undefined;
      if (budget <= 0) {
        failure = 'deadline passed before producing';
      } else if (!sender) {
        failure = `no producer for cluster "${cluster}"`;
      } else {
        try {
          await sender.send(
            list.map((p) =>
              p.at.fallback
                ? { topic: p.at.topic, key: p.at.key, value: p.rec.bytes, headers: FALLBACK_HEADERS }
                : { topic: p.at.topic, key: p.at.key, value: p.rec.bytes },
            ),
            budget,
            batchCriticality(list.map((p) => p.criticality)),
          );
        } catch (err) {
          failure = `kafka cluster "${cluster}": ${(err as Error).message}`;
          t.inc('spillway_errors_total', { kind: 'kafka-produce' });
        }
      }
      if (failure === undefined) {
        accepted += list.length;
        t.inc('spillway_records_sent_total', { cluster }, list.length);
        for (const p of list) if (p.at.fallback) fallback++;
      } else {
        for (const p of list) retry.push({ line: p.rec.line, reason: failure, retryAfterMs: KAFKA_RETRY_AFTER_MS });
        t.inc(
          'spillway_records_dropped_total',
          // A produce that waited out its deadline for a slot is a deadline drop, not a Kafka failure.
          { reason: ctx.produceBudgetMs() <= 0 ? 'deadline' : 'kafka', criticality: criticality ?? 'unknown' },
          list.length,
        );
      }
    }),
  );
  if (fallback > 0) t.inc('spillway_records_fallback_total', {}, fallback);
  retry.sort((a, b) => a.line - b.line);
  return { accepted, rejected, retry, fallback, criticality };
}
