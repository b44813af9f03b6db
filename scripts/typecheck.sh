#!/usr/bin/env bash
# A client generated from openapi.yaml (openapi-typescript) must type-check
# against the responses the tests recorded (GATEHOUSE_RESPONSE_SAMPLES).
# Run by scripts/test.sh after the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:?samples folder}
out=.local/typecheck
rm -rf "$out" && mkdir -p "$out"
bin=.local/tools/node_modules/.bin
"$bin/openapi-typescript" openapi.yaml --additional-properties --output "$out/api.ts" >/dev/null
node tests/typecheck/generate.mjs "$samples" "$out/check.ts"
"$bin/tsc" --noEmit --strict --target es2022 --module es2022 --moduleResolution bundler "$out/check.ts"
echo "typecheck: the generated client accepts every recorded response"
