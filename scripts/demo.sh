#!/usr/bin/env bash
# `npm run demo [-- --stall SINK] [-- --seconds N]`: one command on a fresh machine.
# Installs what is missing (Node 24 when the machine's is older, npm dependencies, the
# stack's jars), starts the local stack, validates examples/demo.yaml, creates its topics,
# then runs the pipeline on it: the router, every sink (one process each, each with its
# /metrics), an agent, the monitor with its dashboard, and a load generator (a few pino
# services logging through spillway/pino, one of them noisy). It prints what it starts, the
# dashboard URL and, at the end, a table of what each sink delivered; every process logs to
# .spillway/demo/. The end of --seconds (default 600), Ctrl-C or a failure stops everything
# it started, the stack too unless it was running before the demo.
#
# --stall SINK puts a proxy in front of that sink's destination that hangs every request
# from 30 s in for 45 s (SPW_DEMO_STALL_AFTER / SPW_DEMO_STALL_FOR): the dashboard shows
# that sink paused with its lag rising while the others stay flat, then catching up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stall=""
seconds=${SPW_DEMO_SECONDS:-600}
while [ $# -gt 0 ]; do
  case "$1" in
    --stall) stall=${2:?"--stall needs a sink name: search or webhook"}; shift 2 ;;
    --seconds) seconds=${2:?"--seconds needs a number"}; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument \"$1\"; usage: npm run demo [-- --stall search|webhook] [-- --seconds N]" >&2; exit 2 ;;
  esac
done
# The sinks with a network destination, the variable examples/demo.yaml reads it from, and
# the config's default when that variable is unset.
case "$stall" in
  "") ;;
  search) stall_var=SPW_SEARCH_URL stall_default= ;;
  webhook) stall_var=SPW_WEBHOOK_URL stall_default=http://127.0.0.1:18080/ingest ;;
  *) echo "demo: --stall: expected search or webhook (the demo's sinks with a network destination), found \"$stall\"" >&2; exit 2 ;;
esac
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "demo: --seconds: expected a positive integer, found \"$seconds\"" >&2; exit 2; }

# How long the closing table waits for the sinks to catch up once the load stops.
drain_s=60
config=${SPW_DEMO_CONFIG:-examples/demo.yaml}
logs=.spillway/demo
mkdir -p "$logs" .spillway/demo-logs
say() { echo "demo: $*"; }
# Runs a command with its output in a log file; on failure, the log's last lines and exit 1.
logged() {
  local log=$1
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "demo: failed: $*; last lines of $log:" >&2
    tail -n 20 "$log" | sed 's/^/  /' >&2
    exit 1
  fi
}

bash scripts/setup.sh # prints only what it installs
source scripts/node-env.sh

# The demo owns the stack when none of this checkout's stack services runs before it starts.
# (`stack status` exits 1 unless all are up: its output is read from a variable, not a pipe,
# whose pipefail status would say "failed" for a stack that is simply down.)
before=$(node bin/spillway.js stack status 2>/dev/null) || true
own_stack=yes
if grep -Eq '^# [a-z-]+: (up|starting)' <<<"$before"; then own_stack=no; fi

pids=()
names=()
stop() {
  local status=$?
  trap - EXIT
  trap '' INT TERM
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping the pipeline"
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
  fi
  if [ $own_stack = yes ] && [ -z "${SPW_DEMO_KEEP_STACK:-}" ]; then
    say "stopping the local stack it started"
    node bin/spillway.js stack down >>"$logs/stack.log" 2>&1 || say "stack down failed: see $logs/stack.log"
  fi
  say "stopped"
  exit "$status"
}
# Ctrl-C and kill end the script through its EXIT trap, the one place that cleans up.
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

t0=$SECONDS
if [ $own_stack = yes ]; then
  say "starting the local stack: 2 Kafka clusters and OpenSearch (about 1 min; log $logs/stack.log)"
else
  say "this checkout's local stack is already running: using it, and leaving it running"
fi
logged "$logs/stack.log" node bin/spillway.js stack up --auto-ports
[ $own_stack = no ] || say "stack ready in $((SECONDS - t0)) s"
# The stack's endpoints (which may have moved with --auto-ports) feed the config's ${SPW_*}.
stack_env=$(node bin/spillway.js stack status 2>&1) || {
  echo "demo: the stack is not up after \`stack up\`:" >&2
  echo "$stack_env" >&2
  exit 1
}
set -a
eval "$(grep -v '^#' <<<"$stack_env")"
set +a

logged "$logs/config-check.log" node bin/spillway.js config check "$config"
logged "$logs/topics.log" node bin/spillway.js topics ensure --config "$config"
say "$config is valid; its topics exist (details in $logs/config-check.log, topics.log)"

# What OpenSearch holds already (the stack keeps its data): the closing table counts what it gains.
node scripts/demo-summary.ts --search-url "$SPW_SEARCH_URL" --save-search-counts "$logs/search-before.json"

sinks=$(node -e '
  const { loadConfig } = await import("./config/load.ts");
  const c = await loadConfig(process.argv[1]);
  console.log(c.sinks.map((s) => s.name).join(" "));
' "$config")
say "starting the pipeline: router, $(wc -w <<<"$sinks") sinks ($sinks), agent, monitor (logs in $logs/)"

# start NAME COMMAND...: a pipeline process in the background, its output in $logs/NAME.log.
start() {
  local name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1 </dev/null &
  pids+=($!)
  names+=("$name")
}
# Fails the demo, with the log's last lines, when a pipeline process has exited.
check_alive() {
  local i
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "demo: ${names[$i]} exited; last lines of $logs/${names[$i]}.log:" >&2
      tail -n 20 "$logs/${names[$i]}.log" | sed 's/^/  /' >&2
      exit 1
    fi
  done
}
# wait_for URL: up to 20 s for it to answer 2xx.
wait_for() {
  for _ in $(seq 1 100); do
    curl -sf "$1" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 0
}

start router node bin/spillway.js router --config "$config"
if [ -n "$stall" ]; then
  # The real destination (the config's default when the variable is unset), the proxy in
  # front of its origin, and the same URL with the proxy's address for the stalled sink.
  # It outlives the load by the closing table's wait, so the stalled sink can catch up.
  real=${!stall_var:-$stall_default}
  stall_url=$(echo "$real" | sed -E 's#^(https?://)[^/]+#\1127.0.0.1:19299#')
  start stall-proxy node scripts/stall-proxy.ts --target "$(echo "$real" | sed -E 's#^(https?://[^/]+).*#\1#')" \
    --port 19299 --seconds $((seconds + drain_s + 30)) \
    --stall-after "${SPW_DEMO_STALL_AFTER:-30}" --stall-for "${SPW_DEMO_STALL_FOR:-45}"
fi
# Sink metrics ports: 7081, 7082, ... in config order, as monitor.scrape in the config lists them.
port=7081
for sink in $sinks; do
  if [ "$sink" = "$stall" ]; then
    start "sink-$sink" env "$stall_var=$stall_url" node bin/spillway.js sink --config "$config" --name "$sink" --metrics-port "$port"
  else
    start "sink-$sink" node bin/spillway.js sink --config "$config" --name "$sink" --metrics-port "$port"
  fi
  port=$((port + 1))
done
wait_for "http://127.0.0.1:7070/readyz"
start monitor node bin/spillway.js monitor --config "$config"
start agent node bin/spillway.js agent --config "$config"
wait_for "http://127.0.0.1:9880/healthz"
wait_for "http://127.0.0.1:7072/healthz"
check_alive

cat <<TXT

    Dashboard: http://127.0.0.1:7072/

demo: running for $seconds s: sample services log about ${SPW_DEMO_RATE:-500} lines/s through the agent; Ctrl-C stops everything.
${stall:+demo: stalling sink \"$stall\": its destination hangs from ${SPW_DEMO_STALL_AFTER:-30} s for ${SPW_DEMO_STALL_FOR:-45} s.
}demo: in another terminal: npm run spillway -- lag --config $config
TXT
# The load stops after $seconds s; the webhook it hosts keeps answering until the closing
# table is printed, so the http sink can deliver what is still on its way.
start sample-service env SAMPLE_RATE="${SPW_DEMO_RATE:-500}" SAMPLE_SECONDS="$seconds" SAMPLE_KEEP_WEBHOOK=1 \
  SAMPLE_REPORT_MS=5000 SAMPLE_FILE_LOG=.spillway/demo-logs/reports.log node examples/sample-service.ts
sample=$!
until grep -qs 'logging done after' "$logs/sample-service.log"; do
  check_alive
  sleep 1
done

say "load done; waiting for the sinks to catch up (up to $drain_s s)"
echo
node scripts/demo-summary.ts --config "$config" --search-url "$SPW_SEARCH_URL" --wait-s "$drain_s" \
  --search-before "$logs/search-before.json" || true
kill -TERM "$sample" 2>/dev/null || true
wait "$sample" 2>/dev/null || true
sent=$(grep -o 'stopped after [0-9]* lines, webhook got [0-9]*' "$logs/sample-service.log" | tail -n 1 || true)
[ -z "$sent" ] || echo "Sample services: $sent"
echo
