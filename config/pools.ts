/** Cluster pools: which clusters each importance tier may be placed on. */
import { z } from 'zod';
import { clusterNameSchema } from './cluster.ts';
import { doc, expected } from './common.ts';

function tier(name: string, example: string[]) {
  return doc(
    z.array(clusterNameSchema).min(1, expected('at least one cluster name')),
    `Clusters for importance ${name}; a logId is placed on one of them by rendezvous hashing.`,
    example,
  );
}

export const poolsSchema = z
  .object({
    S: tier('S', ['main', 'aux']),
    A: tier('A', ['main', 'aux']),
    B: tier('B', ['main']),
    C: tier('C', ['aux']),
    gutter: doc(
      clusterNameSchema.optional(),
      'Cluster that carries gutter and dead-letter topics; without it they sit on each source cluster.',
      'aux',
    ),
  })
  .strict();

export type PoolsConfig = z.output<typeof poolsSchema>;
