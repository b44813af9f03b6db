#!/usr/bin/env bash
# `make test`: the whole suite against a private local stack (DynamoDB Local,
# moto, the local face and document engine and `cargo lambda watch` on free
# ports), torn down afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DYNAMO_PORT=$(free_port); MOTO_PORT=$(free_port); API_PORT=$(free_port); ENGINE_PORT=$(free_port)
# The reverse-proxy test's front-end origin (nginx on this port), listed as
# a deploy would list it (docs/verifik.md "Using Verifik's front end").
export GATEHOUSE_PROXY_PORT=$(free_port)

watch_pid=""
cleanup() {
  local status=$?
  # A failed run shows what the functions logged as errors: CI keeps no
  # files, and a 5xx's cause is only in the watch log.
  if [ "$status" -ne 0 ] && [ -n "$watch_pid" ]; then
    echo "--- errors in .local/test/watch.log (last 40) ---"
    grep -E '"level":"ERROR"|panicked|ERROR' .local/test/watch.log | tail -40 | cut -c1-600 || true
  fi
  [ -n "$watch_pid" ] && kill -- -"$watch_pid" 2>/dev/null || true
  scripts/stack.sh stop test
}
trap cleanup EXIT
scripts/stack.sh start test "$DYNAMO_PORT" "$MOTO_PORT" "$ENGINE_PORT"
export GATEHOUSE_PUBLIC_URL="http://127.0.0.1:$API_PORT"
source scripts/local-env.sh test
export GATEHOUSE_CORS_ORIGINS="$GATEHOUSE_CORS_ORIGINS,http://127.0.0.1:$GATEHOUSE_PROXY_PORT"

cargo build --workspace --all-targets --locked
# `cargo lambda watch` runs `cargo run --bin X`, which resolves features
# without the test crates' dev-dependencies: a different build of tokio and
# everything above it. Build that set now, or the first request to each
# function waits for it (minutes on a two-core CI machine).
cargo build --workspace --bins --locked
target/debug/gatehouse-admin init-table >/dev/null

# The end-to-end tests go through cargo lambda watch on real paths.
WATCH_LOG=.local/test/watch.log
set -m
# Every request through the emulator comes from 127.0.0.1: as under `make
# dev`, its functions get room in the per-IP limits, or the browser tests
# and the end-to-end tests would share one address's hourly budget. The
# limits themselves are tested in-process, each test from its own address.
GATEHOUSE_LIMIT_SENDS_PER_IP_HOUR=1000 GATEHOUSE_LIMIT_CHECKS_PER_IP_10_MINUTES=1000 \
  GATEHOUSE_LIMIT_FACE_FAILURES_PER_IP=1000 GATEHOUSE_LIMIT_IDENTITY_CHECKS_PER_IP_HOUR=1000 \
  cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$API_PORT" --ignore-changes --disable-cors >"$WATCH_LOG" 2>&1 &
watch_pid=$!
set +m
python3 scripts/wait_http.py "http://127.0.0.1:$API_PORT/" 60 || { cat "$WATCH_LOG"; exit 1; }
export GATEHOUSE_E2E_URL="http://127.0.0.1:$API_PORT"
python3 scripts/warm_functions.py "$GATEHOUSE_E2E_URL"
export GATEHOUSE_WATCH_LOG="$PWD/$WATCH_LOG"

# Real responses for the generated-client type check below.
export GATEHOUSE_RESPONSE_SAMPLES="$PWD/.local/test/responses"
rm -rf "$GATEHOUSE_RESPONSE_SAMPLES"
cargo test --workspace --locked "$@"

# The local face engine's own checks (similarity map, real faces).
if [ "$#" -eq 0 ]; then
  (cd local_engine && ../.local/tools/engine/bin/python -m unittest test_engine)
fi

# Every command block of README.md and docs/ marked `sh make-dev`, against
# this stack, after the runner's own check that a failing block fails.
if [ "$#" -eq 0 ]; then
  python3 scripts/check_doc_commands.py --self-test >/dev/null
  python3 scripts/check_doc_commands.py
fi

# With no arguments (the whole suite), the hosted pages in a real browser,
# the contract run and the type check of a client generated from
# openapi.yaml follow.
if [ "$#" -eq 0 ]; then
  (cd tests/browser && ../../.local/tools/browser/bin/python -m pytest -q -p no:cacheprovider)
  scripts/contract.sh
  scripts/typecheck.sh "$GATEHOUSE_RESPONSE_SAMPLES"
fi
