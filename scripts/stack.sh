#!/usr/bin/env bash
# The local AWS stack: DynamoDB Local (Amazon's engine) and moto (SES v2, SNS,
# Secrets Manager).
#   scripts/stack.sh start NAME DYNAMO_PORT MOTO_PORT   # writes .local/NAME/env
#   scripts/stack.sh stop NAME
# NAME keeps the dev stack and the test stack apart, so both can run at once.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
cmd=${1:?start or stop}
name=${2:?stack name}
dir="$ROOT/.local/$name"
EMULATOR="$ROOT/.local/tools/node_modules/amplify-dynamodb-simulator/emulator"

wait_for() { # url, what
  python3 "$ROOT/scripts/wait_http.py" "$1" 30 && return 0
  echo "stack: $2 did not start; see $dir/*.log" >&2
  return 1
}

stop_pid() {
  local file=$1
  if [ -f "$file" ]; then
    kill "$(cat "$file")" 2>/dev/null || true
    rm -f "$file"
  fi
}

case "$cmd" in
  start)
    dynamo_port=${3:?dynamodb port}
    moto_port=${4:?moto port}
    mkdir -p "$dir"
    "$0" stop "$name"
    java -Djava.library.path="$EMULATOR/DynamoDBLocal_lib" -jar "$EMULATOR/DynamoDBLocal.jar" \
      -inMemory -port "$dynamo_port" >"$dir/dynamodb.log" 2>&1 &
    echo $! >"$dir/dynamodb.pid"
    "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"
    wait_for "http://127.0.0.1:$dynamo_port" "DynamoDB Local"
    wait_for "http://127.0.0.1:$moto_port/moto-api/data.json" "moto"
    cat >"$dir/env" <<ENV
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
export AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:$dynamo_port
export AWS_ENDPOINT_URL_SESV2=http://127.0.0.1:$moto_port
export AWS_ENDPOINT_URL_SES=http://127.0.0.1:$moto_port
export AWS_ENDPOINT_URL_SNS=http://127.0.0.1:$moto_port
export AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:$moto_port
export GATEHOUSE_MOTO_URL=http://127.0.0.1:$moto_port
ENV
    echo "stack: DynamoDB Local on :$dynamo_port, moto on :$moto_port ($dir/env)"
    ;;
  stop)
    stop_pid "$dir/dynamodb.pid"
    stop_pid "$dir/moto.pid"
    ;;
  *)
    echo "usage: $0 start|stop NAME [DYNAMO_PORT MOTO_PORT]" >&2
    exit 2
    ;;
esac
