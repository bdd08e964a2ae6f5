/**
 * Sink types by name. Each type's folder exports its factory from index.ts; this file only
 * maps `config.type` to it. The mapped type makes a missing or mistyped entry a compile error.
 */
import { factory as blackhole } from './blackhole/index.ts';
import type { Destination, DestinationContext, DestinationFactory, ResolvedSinkConfig } from './core/destination.ts';
import { factory as elasticsearch } from './elasticsearch/index.ts';
import { factory as file } from './file/index.ts';
import { factory as http } from './http/index.ts';
import { factory as opensearch } from './opensearch/index.ts';

type Factories = { [T in ResolvedSinkConfig['type']]: DestinationFactory<Extract<ResolvedSinkConfig, { type: T }>> };

export const SINK_FACTORIES: Factories = { elasticsearch, opensearch, file, http, blackhole };

/** The destination for a sink's config section. */
export function createDestination(config: ResolvedSinkConfig, ctx: DestinationContext): Promise<Destination> {
  const create = SINK_FACTORIES[config.type] as DestinationFactory;
  return create(config, ctx);
}
