#!/usr/bin/env bash
# `npm run demo`: one command on a fresh machine. Installs what is missing (Node 24 when the
# machine's is older, npm dependencies, the stack's jars), starts the local stack, validates
# examples/demo.yaml, creates its topics, then runs the pipeline on it: the router, every
# sink (one process each), an agent, and a load generator posting a few services' logs to
# the agent the way spillway/pino does, and the lag monitor (its dashboard page is issue #6). Ctrl-C stops
# what it started; the stack keeps running (npm run stack -- down).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/node-env.sh
config=${SPW_DEMO_CONFIG:-examples/demo.yaml}
seconds=${SPW_DEMO_SECONDS:-120}

node bin/spillway.js stack up --auto-ports
# The stack's endpoints (which may have moved with --auto-ports) feed the config's ${SPW_*}.
set -a
eval "$(node bin/spillway.js stack status | grep -v '^#')"
set +a

node bin/spillway.js config check "$config"
node bin/spillway.js topics ensure --config "$config"

logs=.spillway/demo
mkdir -p "$logs"
pids=()
stop() {
  trap - INT TERM EXIT
  echo "demo: stopping router and sinks"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT

node bin/spillway.js router --config "$config" >"$logs/router.log" 2>&1 &
pids+=($!)
for sink in $(node -e '
  const { loadConfig } = await import("./config/load.ts");
  const c = await loadConfig(process.argv[1]);
  console.log(c.sinks.map((s) => s.name).join(" "));
' "$config"); do
  node bin/spillway.js sink --config "$config" --name "$sink" >"$logs/sink-$sink.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:7070/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
node bin/spillway.js monitor --config "$config" >"$logs/monitor.log" 2>&1 &
pids+=($!)
mkdir -p .spillway/demo-logs
node bin/spillway.js agent --config "$config" >"$logs/agent.log" 2>&1 </dev/null &
pids+=($!)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:9880/" && break
  sleep 0.2
done

cat <<TXT

Pipeline running: agent http://127.0.0.1:9880/v1/lines (and files .spillway/demo-logs/*.log),
router http://127.0.0.1:7070 (metrics at /metrics), sinks $(ls "$logs" | grep -c sink-) processes, logs in $logs/.
Kafka main $SPW_KAFKA_MAIN, aux $SPW_KAFKA_AUX; OpenSearch $SPW_SEARCH_URL (indices logs-<logId>-<day>);
file archive in .spillway/archive. Lag: http://127.0.0.1:7072/api/state, or in a terminal
  npm run spillway -- lag --config $config
Load runs for $seconds s (Ctrl-C stops everything).
TXT
node scripts/demo-load.ts --config "$config" --seconds "$seconds"
curl -s "$SPW_SEARCH_URL/_cat/indices/logs-*?h=index,docs.count&s=index" || true
node bin/spillway.js lag --config "$config" --interval-ms 0 2>/dev/null || true
