#!/usr/bin/env bash
# `make webhook-cost`: LOGINS (default 200) validations with and without a
# webhook, one at a time, through the validate handler against a private
# DynamoDB Local and moto (SQS included), then their events delivered to a
# local receiver (tests/src/bin/webhook_cost.rs). bcrypt at cost 4, its
# floor, so the difference is the event's. Prints a table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bootstrap.sh >&2
cargo build --quiet -p gatehouse-admin
cargo build --quiet -p gatehouse-tests --bin webhook_cost
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
trap 'scripts/stack.sh stop webhooks' EXIT
scripts/stack.sh start webhooks "$(free_port)" "$(free_port)" "$(free_port)" >&2
source scripts/local-env.sh webhooks
target/debug/gatehouse-admin init-table >/dev/null
GATEHOUSE_BCRYPT_COST=4 target/debug/webhook_cost "${LOGINS:-200}"
