#!/usr/bin/env bash
# The contract run: schemathesis fuzzes every operation in openapi.yaml
# against the running stack (GATEHOUSE_E2E_URL, as `make test` starts it)
# with a fresh tenant's API key, and fails on any 5xx or any response that
# breaks the schema. Needs the stack's environment (scripts/local-env.sh).
# One worker: with several, Hypothesis parses lambda sources with `ast` from
# many threads at once, which CPython 3.11 can fail with "SystemError: AST
# constructor recursion depth mismatch" (seen here in a 10 000-case run).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GATEHOUSE_E2E_URL:?start the stack first: make test runs this}"

mkdir -p .local/contract
target/debug/gatehouse-admin demo >.local/contract/demo.json
KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["apiKey"])' .local/contract/demo.json)
# Real resources for half the generated ids (scripts/contract/hooks.py).
python3 scripts/contract/fixtures.py "$GATEHOUSE_E2E_URL" .local/contract/demo.json >.local/contract/fixtures.json
CONTRACT_FIXTURES=.local/contract/fixtures.json SCHEMATHESIS_HOOKS=hooks PYTHONPATH=scripts/contract .venv/bin/st run openapi.yaml \
  --url "$GATEHOUSE_E2E_URL" \
  -H "Authorization: Bearer $KEY" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --phases examples,coverage,fuzzing,stateful \
  --max-examples "${CONTRACT_EXAMPLES:-60}" \
  --workers 1 \
  --request-timeout 120 \
  --generation-database none \
  --report-dir .local/contract
