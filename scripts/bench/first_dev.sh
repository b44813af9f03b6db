#!/usr/bin/env bash
# Times a first `make dev` as a newcomer meets it: a fresh clone of REV
# (default HEAD) with no .venv, .local or target, on free ports, until the
# stack answers a first sign-in. The machine's pip, npm and cargo download
# caches and its apt packages stay as they are, so two revisions compare
# fairly on one machine (a new machine downloads them too).
#
#   scripts/bench/first_dev.sh [REV]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rev=${1:-HEAD}
work=$(mktemp -d /tmp/first-dev.XXXXXX)
git clone --quiet "$root" "$work/repo"
git -C "$work/repo" checkout --quiet "$(git -C "$root" rev-parse "$rev")"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export DYNAMO_PORT=$(free_port) MOTO_PORT=$(free_port) ENGINE_PORT=$(free_port) API_PORT=$(free_port)
api="http://127.0.0.1:$API_PORT"

cleanup() {
  [ -n "${dev_pid:-}" ] && kill -- -"$dev_pid" 2>/dev/null || true
  sleep 3
  (cd "$work/repo" && scripts/stack.sh stop dev) >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
started=$(date +%s)
set -m
(cd "$work/repo" && exec make dev) >"$work/dev.log" 2>&1 &
dev_pid=$!
set +m

# The first answer: the published keys, then a login the demo key starts.
until curl -fsS -o /dev/null "$api/.well-known/jwks.json" 2>/dev/null; do
  kill -0 "$dev_pid" 2>/dev/null || { tail -n 40 "$work/dev.log"; echo "first_dev: make dev stopped" >&2; exit 1; }
  [ $(($(date +%s) - started)) -lt 3600 ] || { echo "first_dev: no answer in an hour" >&2; exit 1; }
  sleep 2
done
answered=$(date +%s)
demo="$work/repo/.local/demo.json"
key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["apiKey"])' "$demo")
flow=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["projectFlow"])' "$demo")
curl -fsS -o /dev/null -X POST "$api/v2/app-logins" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' -d "{\"projectFlow\":\"$flow\",\"email\":\"first@example.com\"}"
signed=$(date +%s)

echo "first make dev of $rev ($(git -C "$root" rev-parse --short "$rev")), fresh clone:"
grep -E '^(dev|bootstrap):' "$work/dev.log" | sed 's/^/  /' || true
echo "  first answer (GET /.well-known/jwks.json): $((answered - started)) s"
echo "  first login created (POST /v2/app-logins): $((signed - started)) s"
