/** The whole config file: one strict object, one key per section. */
import { z } from 'zod';
import { agentSchema } from './agent.ts';
import { channelsSchema } from './channels.ts';
import { clusterSchema } from './cluster.ts';
import { doc } from './common.ts';
import { logIdConfigSchema } from './log-id.ts';
import { monitorSchema } from './monitor.ts';
import { poolsSchema } from './pools.ts';
import { routerSchema } from './router.ts';
import { sinkSchema } from './sink.ts';

export const configShape = {
  clusters: doc(z.array(clusterSchema).min(1), 'Kafka clusters topics can be placed on.', [
    { name: 'main', brokers: ['127.0.0.1:19092'] },
  ]),
  pools: doc(poolsSchema, 'Cluster pool per importance tier.', { S: ['main'], A: ['main'], B: ['main'], C: ['main'] }),
  channels: doc(channelsSchema, 'How records are split into topics.', { hashBuckets: 4 }),
  logIds: doc(z.array(logIdConfigSchema).min(1), 'Configured logIds.', [
    { id: 'unknown', name: 'Unknown logIds', owner: 'platform', importance: 'C', sinks: ['archive'] },
  ]),
  sinks: doc(z.array(sinkSchema).min(1), 'Destinations.', [
    { type: 'file', name: 'archive', directory: '/var/lib/spillway' },
  ]),
  agent: doc(agentSchema, 'Edge agent settings.', {}),
  router: doc(routerSchema, 'Router settings.', {}),
  monitor: doc(monitorSchema, 'Monitor settings.', {}),
};

export const configSchema = z.object(configShape).strict();

export type ConfigSection = keyof typeof configShape;
export type ParsedConfig = z.output<typeof configSchema>;

/** Deeply readonly view; loadConfig returns it frozen. */
export type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated, fully-resolved (defaults applied), deeply frozen config. */
export type SpillwayConfig = DeepReadonly<ParsedConfig>;
