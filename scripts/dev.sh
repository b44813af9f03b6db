#!/usr/bin/env bash
# `make dev`: tools, local AWS stack, table, demo tenant, then every function
# on http://127.0.0.1:9000 through `cargo lambda watch`. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
DYNAMO_PORT=${DYNAMO_PORT:-8000}
MOTO_PORT=${MOTO_PORT:-5000}
ENGINE_PORT=${ENGINE_PORT:-5100}
API_PORT=${API_PORT:-9000}

scripts/bootstrap.sh
scripts/stack.sh start dev "$DYNAMO_PORT" "$MOTO_PORT" "$ENGINE_PORT"
trap 'scripts/stack.sh stop dev' EXIT
source scripts/local-env.sh dev
# Every local request comes from 127.0.0.1: give the per-IP limits room for
# one developer's afternoon. Everything else keeps its production default.
export GATEHOUSE_LIMIT_SENDS_PER_IP_HOUR=${GATEHOUSE_LIMIT_SENDS_PER_IP_HOUR:-1000}
export GATEHOUSE_LIMIT_CHECKS_PER_IP_10_MINUTES=${GATEHOUSE_LIMIT_CHECKS_PER_IP_10_MINUTES:-1000}
export GATEHOUSE_LIMIT_FACE_FAILURES_PER_IP=${GATEHOUSE_LIMIT_FACE_FAILURES_PER_IP:-1000}
export GATEHOUSE_LIMIT_IDENTITY_CHECKS_PER_IP_HOUR=${GATEHOUSE_LIMIT_IDENTITY_CHECKS_PER_IP_HOUR:-1000}

# The same build `cargo lambda watch` runs per function (`cargo run --bin X`),
# done once up front so the first request to each function is quick.
cargo build --quiet --workspace --bins --locked
target/debug/gatehouse-admin demo >.local/demo.json
# Webhook deliveries: what Lambda's SQS event source does on AWS.
target/debug/gatehouse-admin deliver-webhooks 2>.local/dev/webhooks.log &
webhooks_pid=$!
trap 'kill $webhooks_pid 2>/dev/null; scripts/stack.sh stop dev' EXIT
cat <<INFO

Gatehouse is starting on http://127.0.0.1:$API_PORT (DynamoDB Local :$DYNAMO_PORT, moto :$MOTO_PORT).
Demo tenant, also in .local/demo.json:
$(cat .local/demo.json)

Try:
  KEY=\$(jq -r .apiKey .local/demo.json); FLOW=\$(jq -r .projectFlow .local/demo.json)
  curl -s -X POST http://127.0.0.1:$API_PORT/v2/app-logins -H "Authorization: Bearer \$KEY" \\
       -H 'Content-Type: application/json' -d "{\"projectFlow\":\"\$FLOW\",\"email\":\"you@example.com\"}"
  curl -s http://127.0.0.1:$MOTO_PORT/moto-api/data.json | jq '.ses.Message[-1].subject'   # the code

The hosted pages (README "Hosted pages"), in a browser:
  http://127.0.0.1:$API_PORT/sign-in/$(sed -n 's/.*"project": "\(.*\)".*/\1/p' .local/demo.json)
  http://127.0.0.1:$API_PORT/sign-up/$(sed -n 's/.*"project": "\(.*\)".*/\1/p' .local/demo.json)

Webhooks (README "Webhooks") are delivered from moto's SQS; a receiver on
127.0.0.1 or localhost may be a flow's webhookUrl here (log: .local/dev/webhooks.log).
INFO
# Gatehouse answers CORS itself, as deployed: watch's own permissive CORS is off.
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" --disable-cors
