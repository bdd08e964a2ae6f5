#!/usr/bin/env bash
# `npm run demo [-- --stall SINK] [-- --seconds N]`: one command on a fresh machine.
# Installs what is missing (Node 24 when the machine's is older, npm dependencies, the
# stack's jars), starts the local stack, validates examples/demo.yaml, creates its topics,
# then runs the pipeline on it: the router, every sink (one process each, each with its
# /metrics), an agent, the monitor with its dashboard, and a load generator (a few pino
# services logging through spillway/pino, one of them noisy). It prints the dashboard URL.
# Ctrl-C (or the end of --seconds, default 600) stops everything it started, the stack
# too when the demo started it.
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

bash scripts/setup.sh
source scripts/node-env.sh
config=${SPW_DEMO_CONFIG:-examples/demo.yaml}

stack_was_up=no
node bin/spillway.js stack status 2>/dev/null | grep -q ': down' || stack_was_up=yes
node bin/spillway.js stack up --auto-ports
# The stack's endpoints (which may have moved with --auto-ports) feed the config's ${SPW_*}.
set -a
eval "$(node bin/spillway.js stack status | grep -v '^#')"
set +a

node bin/spillway.js config check "$config"
node bin/spillway.js topics ensure --config "$config"

logs=.spillway/demo
mkdir -p "$logs" .spillway/demo-logs
pids=()
stop() {
  trap - INT TERM EXIT
  echo "demo: stopping what it started"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  if [ "$stack_was_up" = no ] && [ -z "${SPW_DEMO_KEEP_STACK:-}" ]; then
    node bin/spillway.js stack down || true
  fi
}
trap stop INT TERM EXIT

node bin/spillway.js router --config "$config" >"$logs/router.log" 2>&1 &
pids+=($!)
if [ -n "$stall" ]; then
  # The real destination (the config's default when the variable is unset), the proxy in
  # front of its origin, and the same URL with the proxy's address for the stalled sink.
  real=${!stall_var:-$stall_default}
  stall_url=$(echo "$real" | sed -E 's#^(https?://)[^/]+#\1127.0.0.1:19299#')
  node scripts/stall-proxy.ts --target "$(echo "$real" | sed -E 's#^(https?://[^/]+).*#\1#')" --port 19299 --seconds "$seconds" \
    --stall-after "${SPW_DEMO_STALL_AFTER:-30}" --stall-for "${SPW_DEMO_STALL_FOR:-45}" >"$logs/stall-proxy.log" 2>&1 &
  pids+=($!)
fi
# Sink metrics ports: 7081, 7082, ... in config order, as monitor.scrape in the config lists them.
port=7081
for sink in $(node -e '
  const { loadConfig } = await import("./config/load.ts");
  const c = await loadConfig(process.argv[1]);
  console.log(c.sinks.map((s) => s.name).join(" "));
' "$config"); do
  if [ "$sink" = "$stall" ]; then
    env "$stall_var=$stall_url" node bin/spillway.js sink --config "$config" --name "$sink" \
      --metrics-port "$port" >"$logs/sink-$sink.log" 2>&1 &
  else
    node bin/spillway.js sink --config "$config" --name "$sink" --metrics-port "$port" >"$logs/sink-$sink.log" 2>&1 &
  fi
  pids+=($!)
  port=$((port + 1))
done
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:7070/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
node bin/spillway.js monitor --config "$config" >"$logs/monitor.log" 2>&1 &
pids+=($!)
node bin/spillway.js agent --config "$config" >"$logs/agent.log" 2>&1 </dev/null &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:9880/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

cat <<TXT

Dashboard: http://127.0.0.1:7072/   (lag, throughput, gutter flow, shedding, placement plan)

Pipeline: agent http://127.0.0.1:9880/v1/lines (and files .spillway/demo-logs/*.log),
router http://127.0.0.1:7070, $(ls "$logs" | grep -c sink-) sink processes (metrics on 7081+), logs in $logs/.
Kafka main $SPW_KAFKA_MAIN, aux $SPW_KAFKA_AUX; OpenSearch $SPW_SEARCH_URL (indices logs-<logId>-<day>);
file archive in .spillway/archive. In a terminal: npm run spillway -- lag --config $config
${stall:+Stalling sink \"$stall\": its destination hangs from ${SPW_DEMO_STALL_AFTER:-30} s for ${SPW_DEMO_STALL_FOR:-45} s.
}Runs for $seconds s; Ctrl-C stops everything.
TXT
SAMPLE_RATE=${SPW_DEMO_RATE:-500} SAMPLE_SECONDS=$seconds SAMPLE_REPORT_MS=5000 \
  SAMPLE_FILE_LOG=.spillway/demo-logs/reports.log node examples/sample-service.ts
curl -s "$SPW_SEARCH_URL/_cat/indices/logs-*?h=index,docs.count&s=index" || true
node bin/spillway.js lag --config "$config" --interval-ms 2000 2>/dev/null || true
