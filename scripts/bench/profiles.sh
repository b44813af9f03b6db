#!/usr/bin/env bash
# One-off: what each release-profile setting buys, on app-logins-validate
# (bcrypt + JWT + DynamoDB, the heaviest binary). Writes docs/release-profile.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH"
BIN=app-logins-validate
out=.local/bench/profiles.txt
: >"$out"
variant() { # name, then env assignments
  local name=$1; shift
  env "$@" CARGO_TARGET_DIR=target/profile-exp cargo lambda build --release --x86-64 --bin "$BIN" \
    --lambda-dir "target/profile-exp/lambda-$name" >&2
  local size
  size=$(stat -c %s "target/profile-exp/lambda-$name/$BIN/bootstrap")
  echo "$name size_bytes=$size" | tee -a "$out"
}
variant chosen
variant no-lto CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
variant thin-lto CARGO_PROFILE_RELEASE_LTO=thin CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
variant opt-z CARGO_PROFILE_RELEASE_OPT_LEVEL=z
variant unwind CARGO_PROFILE_RELEASE_PANIC=unwind
# bcrypt speed under opt-level z versus 3 (the bench profile inherits release)
for level in 3 z; do
  CARGO_PROFILE_BENCH_OPT_LEVEL=$level CARGO_TARGET_DIR=target/profile-exp cargo bench -p gatehouse-bench \
    --bench request_path -- --noplot "bcrypt/verify cost 10" >&2
  ms=$(python3 -c 'import json; print(round(json.load(open("target/profile-exp/criterion/bcrypt/verify cost 10/new/estimates.json"))["median"]["point_estimate"]/1e6, 2))')
  echo "opt-level=$level bcrypt_verify_cost10_ms=$ms" | tee -a "$out"
done
