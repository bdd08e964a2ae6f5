/** `spillway topics ensure --config FILE`: create the plan's missing topics on every cluster. */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { SpillwayError } from '../core/errors.ts';
import { provisionTopics } from './provision.ts';

export const TOPICS_HELP = `spillway topics ensure --config FILE

Creates, on every cluster of the config, the topics its placement plan puts there (main,
gutter and dead-letter topics) with the planned partitions and retention. Existing topics
are left as they are; one whose partition count differs from the plan is reported.
Refuses (exit 2) a plan over a cluster's partitionBudget, before touching any cluster.`;

export async function topicsCommand(
  args: string[],
  print: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: { config: { type: 'string' }, help: { type: 'boolean' } },
    });
  try {
    parsed = parse();
  } catch (err) {
    throw new SpillwayError(
      'SPW_ERR_CLI_USAGE',
      `${(err as Error).message}; usage: spillway topics ensure --config FILE`,
    );
  }
  const { values, positionals } = parsed;
  if (values.help) {
    print(TOPICS_HELP);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'ensure' || !values.config) {
    throw new SpillwayError('SPW_ERR_CLI_USAGE', 'usage: spillway topics ensure --config FILE');
  }
  const config = await loadConfig(values.config);
  for (const r of await provisionTopics(config)) {
    print(`cluster ${r.cluster}: ${r.created.length} created, ${r.existing.length} already there`);
    for (const t of r.created) print(`  + ${t}`);
    for (const m of r.mismatched)
      print(`  ! ${m.topic}: has ${m.actual} partitions, the plan says ${m.planned} (left as is)`);
  }
  return 0;
}
