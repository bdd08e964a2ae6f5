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
    summary: 'validate config files and print the placement plan (config check FILE...)',
    run: async (args) => {
      const [sub, ...rest] = args;
      if (sub !== 'check') {
        throw new SpillwayError(
          'SPW_ERR_CLI_USAGE',
          `config: expected subcommand "check", found ${sub ? `"${sub}"` : 'nothing'}; usage: spillway config check FILE... [--json]`,
        );
      }
      return (await import('../config/check-command.ts')).configCheckCommand(rest, process.stdout);
    },
  },
  router: {
    summary: 'run the fan-in gateway: agent batches in, placed records out to Kafka (router --config FILE)',
    run: async (args) => (await import('../router/router-command.ts')).routerCommand(args),
  },
  topics: {
    summary: "create the placement plan's topics on every cluster (topics ensure --config FILE)",
    run: async (args) => (await import('../router/topics-command.ts')).topicsCommand(args),
  },
};

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
