/**
 * The `spillway` command: one binary, one subcommand per component. Each subcommand module
 * is imported lazily so `spillway --help` and `spillway config check` never load a Kafka
 * client or open a socket.
 */
import { isSpillwayError, SpillwayError } from '../core/errors.ts';

type Command = {
  summary: string;
  run: (args: string[]) => Promise<number>;
};

const COMMANDS: Record<string, Command> = {
  stack: {
    summary: 'start / stop / inspect the local Kafka x2 + OpenSearch stack',
    run: async (args) => (await import('../stack/stack.ts')).stackCommand(args),
  },
  config: {
    summary:
      'validate config files and print the placement plan (config check FILE...), or what a reload changes (config diff OLD NEW)',
    run: async (args) => {
      const [sub, ...rest] = args;
      if (sub === '--help' || sub === '-h') {
        console.log(CONFIG_HELP);
        return 0;
      }
      if (sub === 'diff') return (await import('../config/diff-command.ts')).configDiffCommand(rest, process.stdout);
      if (sub !== 'check') {
        throw new SpillwayError(
          'SPW_ERR_CLI_USAGE',
          `expected subcommand "check" or "diff", found ${sub ? `"${sub}"` : 'nothing'}; usage: spillway config check FILE... [--json] | spillway config diff OLD NEW [--json]`,
        );
      }
      return (await import('../config/check-command.ts')).configCheckCommand(rest, process.stdout);
    },
  },
  agent: {
    summary: 'run the edge agent: inputs, batching, uplink to the router, disk spool (agent --config FILE)',
    run: async (args) => (await import('../agent/agent-command.ts')).agentCommand(args),
  },
  router: {
    summary: 'run the fan-in gateway: agent batches in, placed records out to Kafka (router --config FILE)',
    run: async (args) => (await import('../router/router-command.ts')).routerCommand(args),
  },
  sink: {
    summary: 'run sinks: per-sink consumer groups, gutter drainer, dead letters (sink --config FILE [--name SINK])',
    run: async (args) => (await import('../sinks/sink-command.ts')).sinkCommand(args),
  },
  dlq: {
    summary: "move a sink's dead letters back for delivery (dlq replay --config FILE --sink NAME)",
    run: async (args) => (await import('../sinks/sink-command.ts')).dlqCommand(args),
  },
  monitor: {
    summary: 'sample lag of every sink and serve /api/state, /api/history, /metrics (monitor --config FILE)',
    run: async (args) => (await import('../monitor/monitor-command.ts')).monitorCommand(args),
  },
  lag: {
    summary: 'print lag (records, seconds) and state per sink and logId (lag --config FILE [--json])',
    run: async (args) => (await import('../monitor/monitor-command.ts')).lagCommand(args),
  },
  topics: {
    summary: "create the placement plan's topics on every cluster (topics ensure --config FILE)",
    run: async (args) => (await import('../router/topics-command.ts')).topicsCommand(args),
  },
};

const CONFIG_HELP = `spillway config check FILE... [--json]
spillway config diff OLD NEW [--json]

check validates each config file (YAML or JSON) and prints its placement plan: per cluster
the topics, partitions and budget used; per sink the topics it consumes. Every problem is
listed with its path, what was expected and what was found; exit status 2 when any file is
invalid.

diff validates both files and prints what reloading NEW over OLD (SIGHUP) would change:
logIds added or removed, placement moves, topics to create, topics leaving the plan, sinks
gaining or losing logIds, and the keys a component can only take by a restart (its reload
refuses such a file). Key paths only, never values.
Reference: docs/config-reference.md, docs/operations.md#live-reload`;

export const HELP = `spillway — log transport over Kafka with isolated channels

Usage: spillway <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join('\n')}

Run \`spillway <command> --help\` for a command's options.
Docs: README.md, docs/config-reference.md, docs/errors.md`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(HELP);
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) {
      throw new SpillwayError(
        'SPW_ERR_CLI_USAGE',
        `unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')} (see spillway --help)`,
      );
    }
    return await command.run(rest);
  } catch (err) {
    if (isSpillwayError(err)) {
      console.error(`spillway ${name}: ${err.message} [${err.code}]`);
      return err.exitCode;
    }
    console.error(`spillway ${name}: unexpected error`, err);
    return 1;
  }
}
