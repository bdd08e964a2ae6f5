/**
 * The router process: provisions the plan's topics, opens one idempotent producer per
 * cluster, and serves the gateway. `spillway router --config FILE` runs it until SIGTERM /
 * SIGINT, then drains in-flight batches and closes the producers.
 */
import { kafkaClusterOf } from '../config/cluster.ts';
import { diffConfigs } from '../config/diff.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import { KafkaProducer, type ProduceRecord } from '../core/kafka/index.ts';
import { createLogger, type Logger } from '../core/logger.ts';
import { Telemetry } from '../core/telemetry.ts';
import { cpuAdmission } from './admission.ts';
import type { ClusterSender, QuotaCheck } from './gateway/batch.ts';
import { CoalescingSender } from './gateway/coalesce.ts';
import type { Admission, Gateway } from './gateway/server.ts';
import { startGateway } from './gateway/server.ts';
import { provisionTopics } from './provision.ts';
import { QuotaManager } from './quota/quota-manager.ts';

/** A cluster whose last produce failed within this window is reported "failing" by /readyz. */
export const CLUSTER_FAILING_WINDOW_MS = 10_000;
/** Retry provisioning of a cluster that was unreachable at start-up this often. */
export const PROVISION_RETRY_MS = 5_000;

export interface RouterOptions {
  telemetry?: Telemetry;
  logger?: Logger;
  /** Default: QuotaManager.fromConfig (per-logId quotas, Redis-leased global quota when router.quota is set). */
  quota?: QuotaCheck & { stop?(): Promise<void> | void };
  /** Overload admission; default: CPU-driven (router/admission.ts). `null` turns shedding off. */
  admission?: (Admission & { stop?(): void }) | null;
}

export interface RunningRouter extends Gateway {
  telemetry: Telemetry;
  /**
   * A live reload (config/reload.ts calls it with a validated config whose restart-only
   * keys are unchanged): creates the new plan's missing topics first, and only when every
   * cluster that gains topics has them, switches placement, tokens and quotas. Throws with
   * nothing switched when a topic cannot be created.
   */
  reconfigure(next: SpillwayConfig): Promise<void>;
}

/** Wraps a producer to remember the cluster's last failure, for /readyz. */
class TrackedSender implements ClusterSender {
  readonly producer: KafkaProducer;
  lastFailureAt = 0;
  lastError = '';
  provisioned = false;
  constructor(producer: KafkaProducer) {
    this.producer = producer;
  }
  async send(records: ProduceRecord[], timeoutMs: number): Promise<unknown> {
    try {
      return await this.producer.send(records, timeoutMs);
    } catch (err) {
      this.lastFailureAt = Date.now();
      this.lastError = (err as Error).message;
      throw err;
    }
  }
}

export async function startRouter(config: SpillwayConfig, options: RouterOptions = {}): Promise<RunningRouter> {
  const telemetry = options.telemetry ?? new Telemetry('router');
  const log = options.logger ?? createLogger('router');
  const admission = options.admission === undefined ? cpuAdmission(telemetry) : (options.admission ?? undefined);
  let current = config;
  let quota = options.quota;
  let manager: QuotaManager | undefined;
  if (!quota) {
    manager = QuotaManager.fromConfig(config);
    manager.start();
    // Redis state for dashboards: 1 = leases refreshed through Redis, 0 = running on the last lease / a local share.
    const gauge = setInterval(() => {
      const st = manager!.stats();
      if (st.redis !== 'off') telemetry.set('spillway_quota_redis_up', st.redis === 'ok' ? 1 : 0);
    }, 1_000);
    gauge.unref();
    quota = {
      check: (logId, records, bytes) => manager!.check(logId, records, bytes),
      stop: async () => {
        clearInterval(gauge);
        await manager!.stop();
      },
    };
  }
  const senders = new Map<string, TrackedSender>();
  for (const c of config.clusters) {
    senders.set(c.name, new TrackedSender(new KafkaProducer(kafkaClusterOf(c), { clientId: 'spillway-router' })));
  }

  // Provision every cluster; one that is down at start-up must not keep the others from
  // serving (its records get a retryable answer), so it is retried in the background.
  let stopped = false;
  const retryTimers = new Set<NodeJS.Timeout>();
  const provision = async (cluster: string): Promise<void> => {
    try {
      const [r] = await provisionTopics(current, undefined, [cluster]);
      senders.get(cluster)!.provisioned = true;
      if (r && r.created.length > 0) log.info({ cluster, created: r.created }, 'created topics');
      for (const m of r?.mismatched ?? [])
        log.warn({ cluster, ...m }, 'topic partition count differs from the plan; left as is');
    } catch (err) {
      if ((err as { code?: string }).code === 'SPW_ERR_PLACEMENT_BUDGET') throw err;
      const sender = senders.get(cluster)!;
      sender.lastError = (err as Error).message;
      log.error(
        { cluster, code: (err as { code?: string }).code, err: sender.lastError },
        'topic provisioning failed; retrying',
      );
      if (stopped) return;
      const t = setTimeout(() => {
        retryTimers.delete(t);
        void provision(cluster);
      }, PROVISION_RETRY_MS);
      t.unref();
      retryTimers.add(t);
    }
  };
  await Promise.all(config.clusters.map((c) => provision(c.name)));

  const gateway = await startGateway({
    config,
    senders: new Map(
      [...senders].map(([name, s]) => [name, new CoalescingSender(s, { lingerMs: config.router.produceLingerMs })]),
    ),
    telemetry,
    quota,
    admission,
    readiness: () => {
      const now = Date.now();
      const clusters = Object.fromEntries(
        [...senders].map(([name, s]) => [
          name,
          !s.provisioned
            ? s.lastError
              ? `provisioning failed: ${s.lastError}`
              : 'provisioning'
            : now - s.lastFailureAt < CLUSTER_FAILING_WINDOW_MS
              ? `failing: ${s.lastError}`
              : 'ok',
        ]),
      );
      // Ready while at least one cluster can take records: the others' records get retryable answers.
      return { ready: Object.values(clusters).some((s) => s === 'ok'), detail: { clusters } };
    },
  });
  log.info({ url: gateway.url, clusters: config.clusters.map((c) => c.name) }, 'router listening');
  return {
    ...gateway,
    telemetry,
    async reconfigure(next) {
      const gaining = [...new Set(diffConfigs(current, next).topicsToCreate.map((t) => t.cluster))];
      if (gaining.length > 0) {
        try {
          const results = await provisionTopics(next, undefined, gaining);
          for (const r of results)
            if (r.created.length > 0) log.info({ cluster: r.cluster, created: r.created }, 'created topics');
        } catch (err) {
          throw new Error(
            `creating the new plan's topics on ${gaining.join(', ')} failed, so nothing was switched: ${(err as Error).message}`,
            { cause: err },
          );
        }
      }
      current = next;
      manager?.reconfigure(next.logIds, next.router.fallbackLogId);
      gateway.reconfigure(next);
    },
    async close() {
      stopped = true;
      for (const t of retryTimers) clearTimeout(t);
      await gateway.close();
      await quota.stop?.();
      admission?.stop?.();
      await Promise.all([...senders.values()].map((s) => s.producer.close()));
      log.info('router stopped');
    },
  };
}
