#!/usr/bin/env bash
# `make dev`: tools, local AWS stack, table, demo tenant, then every function
# on http://127.0.0.1:9000 through `cargo lambda watch`. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
DYNAMO_PORT=${DYNAMO_PORT:-8000}
MOTO_PORT=${MOTO_PORT:-5000}
ENGINE_PORT=${ENGINE_PORT:-5100}
API_PORT=${API_PORT:-9000}

started=$SECONDS
stage() { echo "dev: [$((SECONDS - started)) s] $*"; }
mkdir -p .local/dev
build_log=.local/dev/build.log

# The build needs only Rust, so it runs while the tools install. It builds
# what every function is made of (the dependencies, the domain crate, with
# the features `cargo lambda watch`'s `cargo run --bin X` resolves) and the
# admin CLI that creates the demo tenant. Each function's own binary is
# built by watch on its first request: a few seconds each, where building
# all 50 up front would hold back the first answer by most of a minute.
stage "1/4 building the domain crate and the admin CLI in the background (log: $build_log)"
cargo build --bin gatehouse-admin --locked >"$build_log" 2>&1 &
build_pid=$!
trap 'kill $build_pid 2>/dev/null || true' EXIT

stage "2/4 installing make dev's tools (first run only; make test installs the rest)"
scripts/bootstrap.sh dev
stage "3/4 starting DynamoDB Local :$DYNAMO_PORT, moto :$MOTO_PORT and the local engine :$ENGINE_PORT"
scripts/stack.sh start dev "$DYNAMO_PORT" "$MOTO_PORT" "$ENGINE_PORT"
trap 'kill $build_pid 2>/dev/null || true; scripts/stack.sh stop dev' EXIT
export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$API_PORT"
source scripts/local-env.sh dev
# Every local request comes from 127.0.0.1: give the per-IP limits room for
# one developer's afternoon. Everything else keeps its production default.
export GATEHOUSE_LIMIT_SENDS_PER_IP_HOUR=${GATEHOUSE_LIMIT_SENDS_PER_IP_HOUR:-1000}
export GATEHOUSE_LIMIT_CHECKS_PER_IP_10_MINUTES=${GATEHOUSE_LIMIT_CHECKS_PER_IP_10_MINUTES:-1000}
export GATEHOUSE_LIMIT_FACE_FAILURES_PER_IP=${GATEHOUSE_LIMIT_FACE_FAILURES_PER_IP:-1000}
export GATEHOUSE_LIMIT_IDENTITY_CHECKS_PER_IP_HOUR=${GATEHOUSE_LIMIT_IDENTITY_CHECKS_PER_IP_HOUR:-1000}

stage "4/4 waiting for the build"
while kill -0 "$build_pid" 2>/dev/null; do
  sleep 15
  kill -0 "$build_pid" 2>/dev/null &&
    stage "    still building: $(grep -c '^ *Compiling' "$build_log" || true) crates compiled so far, now $(grep '^ *Compiling' "$build_log" | tail -n 1 | awk '{print $2}')"
done
if ! wait "$build_pid"; then
  tail -n 40 "$build_log"
  echo "dev: the build failed (whole log: $build_log)" >&2
  exit 1
fi
stage "built; creating the demo tenant (each function builds on its first request)"
target/debug/gatehouse-admin demo >.local/demo.json
# Webhook deliveries: what Lambda's SQS event source does on AWS.
target/debug/gatehouse-admin deliver-webhooks 2>.local/dev/webhooks.log &
webhooks_pid=$!
trap 'kill $webhooks_pid 2>/dev/null; scripts/stack.sh stop dev' EXIT
cat <<INFO

dev: [$((SECONDS - started)) s] Gatehouse is starting on http://127.0.0.1:$API_PORT (DynamoDB Local :$DYNAMO_PORT, moto :$MOTO_PORT).
Demo tenant, also in .local/demo.json:
$(cat .local/demo.json)

Try README "A first sign-in" in another terminal, or run every documented
command block against this stack: python3 scripts/check_doc_commands.py

The hosted pages (docs/hosted-pages.md "Hosted pages"), in a browser:
  http://127.0.0.1:$API_PORT/sign-in/$(sed -n 's/.*"project": "\(.*\)".*/\1/p' .local/demo.json)
  http://127.0.0.1:$API_PORT/sign-up/$(sed -n 's/.*"project": "\(.*\)".*/\1/p' .local/demo.json)

Webhooks (docs/webhooks.md "Webhooks") are delivered from moto's SQS; a receiver on
127.0.0.1 or localhost may be a flow's webhookUrl here (log: .local/dev/webhooks.log).
INFO
# Gatehouse answers CORS itself, as deployed: watch's own permissive CORS is off.
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" --disable-cors
