#!/usr/bin/env bash
# `make load-run`: LOGINS (default 2000) sign-ins, CONCURRENCY (default 100)
# at a time, through the App Logins handlers against a private DynamoDB
# Local and moto (tests/src/bin/load_run.rs). bcrypt at cost 4, its floor,
# so the run measures storage rather than hashing. Prints a table; fails
# only when a login is lost.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/bootstrap.sh >&2
cargo build --quiet -p gatehouse-admin
cargo build --quiet -p gatehouse-tests --bin load_run
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
trap 'scripts/stack.sh stop load' EXIT
scripts/stack.sh start load "$(free_port)" "$(free_port)" "$(free_port)" >&2
source scripts/local-env.sh load
target/debug/gatehouse-admin init-table >/dev/null
GATEHOUSE_BCRYPT_COST=4 target/debug/load_run "${LOGINS:-2000}" "${CONCURRENCY:-100}"
