#!/usr/bin/env bash
# `npm run demo`: one command on a fresh machine. Installs what is missing (Node 24 when the
# machine's is older, npm dependencies, the stack's jars), starts the local stack, validates
# examples/demo.yaml, creates its topics on both clusters and prints the placement plan.
# What it runs grows as components land (router, agent, sinks, monitor: issues #3-#6).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/node-env.sh
config=${SPW_DEMO_CONFIG:-examples/demo.yaml}

node bin/spillway.js stack up --auto-ports
# The stack's endpoints (which may have moved with --auto-ports) feed the config's ${SPW_*}.
set -a
eval "$(node bin/spillway.js stack status | grep -v '^#')"
set +a

node bin/spillway.js config check "$config"
node bin/spillway.js topics ensure --config "$config"
cat <<TXT

Stack up: Kafka main $SPW_KAFKA_MAIN, Kafka aux $SPW_KAFKA_AUX, OpenSearch $SPW_SEARCH_URL.
The placement plan above is live on both clusters. Stop everything with: npm run stack -- down
TXT
