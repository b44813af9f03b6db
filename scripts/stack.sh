#!/usr/bin/env bash
# The local AWS stack: DynamoDB Local (Amazon's engine), moto (SES v2, SNS,
# Secrets Manager, S3) and the local face and document engine (Rekognition
# and Textract's JSON protocol, local_engine/).
#   scripts/stack.sh start NAME DYNAMO_PORT MOTO_PORT ENGINE_PORT   # writes .local/NAME/env
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
    engine_port=${5:?engine port}
    mkdir -p "$dir"
    "$0" stop "$name"
    java -Djava.library.path="$EMULATOR/DynamoDBLocal_lib" -jar "$EMULATOR/DynamoDBLocal.jar" \
      -inMemory -port "$dynamo_port" >"$dir/dynamodb.log" 2>&1 &
    echo $! >"$dir/dynamodb.pid"
    "$ROOT/.venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"
    (cd "$ROOT/local_engine" && exec "$ROOT/.local/tools/engine/bin/python" engine.py \
      --port "$engine_port" --s3-endpoint "http://127.0.0.1:$moto_port") >"$dir/engine.log" 2>&1 &
    echo $! >"$dir/engine.pid"
    wait_for "http://127.0.0.1:$dynamo_port" "DynamoDB Local"
    wait_for "http://127.0.0.1:$moto_port/moto-api/data.json" "moto"
    wait_for "http://127.0.0.1:$engine_port/health" "the face and document engine"
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
export AWS_ENDPOINT_URL_S3=http://127.0.0.1:$moto_port
export AWS_ENDPOINT_URL_REKOGNITION=http://127.0.0.1:$engine_port
export AWS_ENDPOINT_URL_TEXTRACT=http://127.0.0.1:$engine_port
export GATEHOUSE_MOTO_URL=http://127.0.0.1:$moto_port
export GATEHOUSE_ENGINE_URL=http://127.0.0.1:$engine_port
# The hosted pages post their camera still to the engine (never set when deployed).
export GATEHOUSE_LOCAL_LIVENESS_URL=http://127.0.0.1:$engine_port
export GATEHOUSE_IMAGES_BUCKET=gatehouse-images-$name
# Webhooks: the queue in moto (made by \`gatehouse-admin init-table\`), and
# receivers on loopback allowed (never set when deployed).
export AWS_ENDPOINT_URL_SQS=http://127.0.0.1:$moto_port
export GATEHOUSE_WEBHOOK_QUEUE_URL=http://127.0.0.1:$moto_port/123456789012/gatehouse-webhooks-$name
export GATEHOUSE_WEBHOOK_ALLOW_LOOPBACK=true
ENV
    echo "stack: DynamoDB Local on :$dynamo_port, moto on :$moto_port, engine on :$engine_port ($dir/env)"
    ;;
  stop)
    stop_pid "$dir/dynamodb.pid"
    stop_pid "$dir/moto.pid"
    stop_pid "$dir/engine.pid"
    ;;
  *)
    echo "usage: $0 start|stop NAME [DYNAMO_PORT MOTO_PORT ENGINE_PORT]" >&2
    exit 2
    ;;
esac
