#!/usr/bin/env bash
# Cold init, first and warm answers of the hosted pages' three functions
# beside the floor (x86_64 release builds, scripts/bench/cold_start.py in
# BENCH_HOSTED mode). Never fails on a timing. RUNS (default 15).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
cargo lambda build --release --x86-64 -p gatehouse-functions -p gatehouse-bench --bin hosted-pages --bin hosted-authorize --bin hosted-token --bin hello-floor --bin hello-sdk --lambda-dir target/lambda-x86_64 >&2
cargo build --quiet -p gatehouse-admin
OUT=.local/bench; mkdir -p $OUT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
trap 'scripts/stack.sh stop bench' EXIT
scripts/stack.sh start bench "$(free_port)" "$(free_port)" "$(free_port)" >&2
source scripts/local-env.sh bench
admin=target/debug/gatehouse-admin
$admin init-table >/dev/null
client=$($admin create-client --name Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["client"])')
key=$($admin create-api-key --client "$client" | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')
printf '{"apiKey":"%s","projectFlow":"unused"}' "$key" >"$OUT/hosted-tenant.json"
BENCH_HOSTED=1 BENCH_DEMO="$OUT/hosted-tenant.json" python3 scripts/bench/cold_start.py target/lambda-x86_64 ${RUNS:-15}
