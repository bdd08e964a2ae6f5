#!/usr/bin/env bash
# Runs a command on the project's Node, whatever node is first on PATH: the npm scripts go
# through it (package.json), so `npm run spillway`, `npm run stack`, `npm run bench:*` work
# on a machine whose own Node is too old. What is missing is installed first by
# scripts/setup.sh (Node 24 into .spillway/node, the npm dependencies; the stack's jars too
# with --jars); when everything is there this costs one `node -e`.
#
#   bash scripts/with-node.sh [--jars] COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/node-env.sh
source "$root/scripts/node-env.sh"

jars=no
if [ "${1:-}" = --jars ]; then
  jars=yes
  shift
fi
[ $# -gt 0 ] || { echo "usage: bash scripts/with-node.sh [--jars] COMMAND [ARGS...]" >&2; exit 2; }

missing=()
spw_node_ok || missing+=(node)
spw_deps_ok || missing+=(deps)
[ $jars = no ] || [ "${SPW_SETUP_SKIP_JARS:-0}" = 1 ] || spw_jars_ok || missing+=(jars)
if [ ${#missing[@]} -gt 0 ]; then
  bash "$root/scripts/setup.sh" "${missing[@]}"
  source "$root/scripts/node-env.sh"
fi
exec "$@"
