#!/usr/bin/env bash
# `npm test [-- VITEST OPTIONS]`: Biome and tsc, then Vitest (test/unit and test/integration)
# (`--no-lint` first skips Biome and tsc: `npm run test:integration`). npm runs it through
# scripts/with-node.sh --jars, which installs what is missing on a fresh clone (Node 24 into
# .spillway/node, the npm dependencies, the stack's jars) and puts the project's Node first
# on PATH, whatever node the machine has.
#
# The integration tests' global setup (test/integration/global-setup.ts) starts this
# checkout's local stack when it is down and stops it after the run. A run can also end
# without that teardown: Ctrl-C (Vitest exits at once on SIGINT / SIGTERM), a crash, a stack
# that never got ready. So once Vitest has exited this script stops the stack if it runs
# although it did not before the run, then any other JVM of this checkout the run left (a
# test's throwaway broker). Vitest runs in its own process group, so a signal reaches it
# and every process the tests spawned, once.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh

if [ "${1:-}" = --no-lint ]; then
  shift
else
  npm run --silent lint || exit $?
fi

# The dashboard test drives Debian's chromium (playwright-core, no browser download). On a
# fresh Debian machine run as root, install it the way the rest is installed: once, by itself.
browser=${SPW_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$browser" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "spillway test: installing Debian's chromium for the dashboard test (apt-get, once, about a minute)" >&2
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ||
    echo "spillway test: apt-get install chromium failed; the dashboard test will say so" >&2
fi

# The alert-rule and Grafana tests (test/unit/deploy) run Prometheus's promtool: on a fresh
# clone scripts/promtool.sh fetches it once into .spillway/promtool (Debian's package,
# unpacked, never installed), saying so; found on PATH or already there, it says nothing.
scripts/promtool.sh --install >/dev/null ||
  echo "spillway test: no promtool; the alert-rule and Grafana dashboard tests will say so" >&2

# "up" or "starting" for any service: this checkout's stack runs (status exits 1 unless all
# are up, so its output is read from a variable, not a pipe under pipefail).
stack_running() {
  local out
  out=$(node bin/spillway.js stack status 2>/dev/null) || true
  grep -Eq '^# [a-z-]+: (up|starting)' <<<"$out"
}
stack_was_running=no
stack_running && stack_was_running=yes
# JVMs of this checkout (the stack's and the tests' throwaway brokers carry this marker).
marker="-Dspw.stack.dir=${SPW_STACK_DIR:-$root/.spillway/stack}"
# The pattern comes from a file: given as an argument it would be in grep's own command line.
our_jvms() { grep -lsFf <(printf '%s\n' "$marker") /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | sort; }
jvms_before=$(our_jvms)

signal=""
on_signal() {
  # npm forwards the terminal's SIGINT to us as well: pass the first signal on, once.
  [ -z "$signal" ] || return 0
  signal=$1
  kill -TERM -- -"$vitest" 2>/dev/null || true
}
setsid node_modules/.bin/vitest run "$@" &
vitest=$!
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
status=0
wait "$vitest" || status=$?
# A trapped signal interrupts `wait`; wait again for Vitest's own exit.
while kill -0 "$vitest" 2>/dev/null; do
  status=0
  wait "$vitest" || status=$?
done
trap '' INT TERM HUP
# What the tests spawned and left in Vitest's group: a few seconds to stop, then SIGKILL.
for _ in $(seq 1 50); do
  kill -0 -- -"$vitest" 2>/dev/null || break
  sleep 0.2
done
kill -KILL -- -"$vitest" 2>/dev/null || true

if [ $stack_was_running = no ] && stack_running; then
  echo "npm test: stopping the local stack this run started" >&2
  node bin/spillway.js stack down >/dev/null || status=1
fi
left=$(comm -13 <(echo "$jvms_before") <(our_jvms) | grep . || true)
if [ -n "$left" ]; then
  # Named by their last argument (a broker's server.properties, OpenSearch's cluster name):
  # the test that started one forgot to stop it.
  for p in $left; do
    echo "npm test: stopping a JVM the run left behind: pid $p, $(tr '\0' '\n' </proc/"$p"/cmdline 2>/dev/null | tail -n 2 | tr '\n' ' ')" >&2
  done
  kill -TERM $left 2>/dev/null || true
  for _ in $(seq 1 100); do
    alive=$(for p in $left; do [ -d /proc/$p ] && echo "$p"; done)
    [ -n "$alive" ] || break
    sleep 0.2
  done
  [ -z "${alive:-}" ] || kill -KILL $alive 2>/dev/null || true
fi
case "$signal" in
  INT) exit 130 ;;
  TERM) exit 143 ;;
  HUP) exit 129 ;;
esac
exit $status
