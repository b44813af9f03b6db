#!/usr/bin/env bash
# Cold init and DynamoDB calls of the login functions: the commit REV
# against the working tree, in alternating rounds on one local stack, so a
# refactor can show that it costs nothing at init. Prints a table; never
# fails on a timing.
#   scripts/bench/ab.sh REV [RUNS per round, default 15]
set -euo pipefail
cd "$(dirname "$0")/../.."
REV=${1:?usage: scripts/bench/ab.sh REV [RUNS]}
RUNS=${2:-15}
scripts/bootstrap.sh
export PATH="$PWD/.venv/bin:$PATH"
OUT=.local/ab
BINS=(app-logins-create app-logins-resend app-logins-validate app-logins-get app-logins-list hello-floor hello-sdk)
bin_args=()
for b in "${BINS[@]}"; do bin_args+=(--bin "$b"); done
mkdir -p "$OUT"
rm -rf "$OUT/worktree"
git worktree add -f --detach "$OUT/worktree" "$REV" >&2
trap 'git worktree remove --force "$OUT/worktree" >/dev/null 2>&1 || true; scripts/stack.sh stop ab' EXIT
# One target directory: the dependencies build once for both sides.
(cd "$OUT/worktree" && CARGO_TARGET_DIR="$PWD/../../../target" cargo lambda build --release --x86-64 \
  -p gatehouse-functions -p gatehouse-bench "${bin_args[@]}" --lambda-dir "$PWD/../old") >&2
cargo lambda build --release --x86-64 -p gatehouse-functions -p gatehouse-bench "${bin_args[@]}" --lambda-dir "$OUT/new" >&2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
scripts/stack.sh start ab "$(free_port)" "$(free_port)" "$(free_port)" >&2
source scripts/local-env.sh ab
cargo build --quiet -p gatehouse-admin
admin=target/debug/gatehouse-admin
$admin init-table >/dev/null
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
client=$($admin create-client --name Bench | json_field client)
key=$($admin create-api-key --client "$client" | json_field apiKey)
project=$($admin create-project --client "$client" --name Bench | json_field _id)
flow=$($admin create-flow --client "$client" --project "$project" --name Bench --resend-cooldown-seconds 0 | json_field _id)
printf '{"apiKey":"%s","projectFlow":"%s"}' "$key" "$flow" >"$OUT/tenant.json"
# Round 2 runs the sides in the other order, so neither always goes first.
for round in 1 2; do
  sides="old new"
  [ "$round" = 2 ] && sides="new old"
  for side in $sides; do
    echo "ab: round $round, $side" >&2
    BENCH_DEMO="$OUT/tenant.json" python3 scripts/bench/cold_start.py "$OUT/$side" "$RUNS" >"$OUT/$side-$round.json"
  done
done
python3 scripts/bench/ab_report.py "$OUT" "$REV"
