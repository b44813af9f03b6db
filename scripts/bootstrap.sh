#!/usr/bin/env bash
# Installs the local tool chain into git-ignored folders. Idempotent: a second
# run only checks what is there. Needs the Rust toolchain, Python with pip,
# Node with npm and Java 17 on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
TOOLS=.local/tools
PY_PACKAGES=("moto[server]==5.2.5" "cargo-lambda==1.9.2" "aws-sam-cli==1.170.0" "ziglang==0.13.0" "cfn-lint" "schemathesis==4.32.5" "PyJWT==2.15.1")
# checkov pins its own dependencies: a venv of its own keeps them apart.
CHECKOV_VENV=.local/tools/checkov
CHECKOV="checkov==3.3.30"
# The OpenAPI validators make lint runs on openapi.yaml.
OPENAPI_VENV=.local/tools/openapi
SPEC_VALIDATOR="openapi-spec-validator==0.7.2"
STAMP="$VENV/.gatehouse-$(printf '%s ' "${PY_PACKAGES[@]}" | sha256sum | cut -c1-12)"

if [ ! -f "$STAMP" ]; then
  echo "bootstrap: installing Python tools into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --upgrade pip
  "$VENV/bin/pip" install --quiet "${PY_PACKAGES[@]}"
  touch "$STAMP"
fi

if [ ! -f "$CHECKOV_VENV/.$CHECKOV" ]; then
  echo "bootstrap: installing $CHECKOV into $CHECKOV_VENV"
  python3 -m venv "$CHECKOV_VENV"
  "$CHECKOV_VENV/bin/pip" install --quiet --upgrade pip
  "$CHECKOV_VENV/bin/pip" install --quiet "$CHECKOV"
  touch "$CHECKOV_VENV/.$CHECKOV"
fi

if [ ! -f "$OPENAPI_VENV/.$SPEC_VALIDATOR" ]; then
  echo "bootstrap: installing $SPEC_VALIDATOR into $OPENAPI_VENV"
  python3 -m venv "$OPENAPI_VENV"
  "$OPENAPI_VENV/bin/pip" install --quiet --upgrade pip
  "$OPENAPI_VENV/bin/pip" install --quiet "$SPEC_VALIDATOR"
  touch "$OPENAPI_VENV/.$SPEC_VALIDATOR"
fi

# Node tools: jose (the JOSE library a relying party would use, tests/jose),
# Redocly's OpenAPI linter, and openapi-typescript with tsc (a client
# generated from the spec must type-check against real responses).
NODE_TOOLS=("jose@6.2.17" "@redocly/cli@2.77.0" "openapi-typescript@7.13.0" "typescript@5.9.3")
NODE_STAMP="$TOOLS/.node-$(printf '%s ' "${NODE_TOOLS[@]}" | sha256sum | cut -c1-12)"
if [ ! -f "$NODE_STAMP" ]; then
  echo "bootstrap: installing ${NODE_TOOLS[*]} into $TOOLS"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --silent --no-audit --no-fund "${NODE_TOOLS[@]}")
  touch "$NODE_STAMP"
fi

if [ ! -f "$TOOLS/node_modules/amplify-dynamodb-simulator/emulator/DynamoDBLocal.jar" ]; then
  echo "bootstrap: installing DynamoDB Local (amplify-dynamodb-simulator) into $TOOLS"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --silent --no-audit --no-fund amplify-dynamodb-simulator@2.9.30)
fi
echo "bootstrap: tools ready"
