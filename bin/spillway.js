#!/usr/bin/env node
// Entry point of the `spillway` command. The sources are TypeScript run by Node's own type
// stripping (Node >= 22.18; the project needs >= 22.22), so there is no build step.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 22)) {
  process.stderr.write(
    `spillway needs Node.js >= 22.22 (found ${process.versions.node}); run \`npm run setup\` to install Node 24 into .spillway/node\n`,
  );
  process.exit(2);
}
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
