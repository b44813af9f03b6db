#!/usr/bin/env bash
# `make bench`: cold init per function against a hello-world floor, DynamoDB
# calls per operation, Criterion handler and bcrypt costs, binary sizes, and
# a cost model. Prints the table and writes BENCHMARKS.md. Never fails on a
# timing. RUNS (default 20) sets the cold-start runs per function.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
scripts/bootstrap.sh
rustup target add aarch64-unknown-linux-gnu >/dev/null
export PATH="$PWD/.venv/bin:$PATH"
OUT=.local/bench
mkdir -p "$OUT"

echo "bench: release builds (x86_64 runs here; arm64 is what deploys)" >&2
cargo lambda build --release --x86-64 -p gatehouse-functions -p gatehouse-bench --lambda-dir target/lambda-x86_64 >&2
cargo lambda build --release --arm64 -p gatehouse-functions -p gatehouse-bench --lambda-dir target/lambda-arm64 >&2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
trap 'scripts/stack.sh stop bench' EXIT
scripts/stack.sh start bench "$(free_port)" "$(free_port)" "$(free_port)" >&2
source scripts/local-env.sh bench
cargo build --quiet -p gatehouse-admin
admin=target/debug/gatehouse-admin
$admin init-table >/dev/null
client=$($admin create-client --name Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["client"])')
key=$($admin create-api-key --client "$client" | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')
project=$($admin create-project --client "$client" --name Bench | python3 -c 'import json,sys; print(json.load(sys.stdin)["_id"])')
flow=$($admin create-flow --client "$client" --project "$project" --name Bench --resend-cooldown-seconds 0 | python3 -c 'import json,sys; print(json.load(sys.stdin)["_id"])')
printf '{"apiKey":"%s","projectFlow":"%s"}' "$key" "$flow" >"$OUT/tenant.json"

echo "bench: cold starts, $RUNS runs per function" >&2
BENCH_DEMO="$OUT/tenant.json" python3 scripts/bench/cold_start.py target/lambda-x86_64 "$RUNS" >"$OUT/cold.json"

echo "bench: Criterion (handlers with in-memory ports, bcrypt)" >&2
cargo bench -p gatehouse-bench --bench request_path >&2

python3 scripts/bench/report.py "$OUT/cold.json" target/criterion target/lambda-x86_64 target/lambda-arm64 template.yaml BENCHMARKS.md
