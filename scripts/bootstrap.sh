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
# A virtualenv in DIR holding exactly PACKAGES; reinstalled when the list
# changes (the stamp names its digest).
python_tools() { # DIR PACKAGES...
  local dir=$1; shift
  local stamp
  stamp="$dir/.tools-$(printf '%s ' "$@" | sha256sum | cut -c1-12)"
  [ -f "$stamp" ] && return 0
  echo "bootstrap: installing $* into $dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --upgrade pip
  "$dir/bin/pip" install --quiet "$@"
  touch "$stamp"
}

python_tools "$VENV" "${PY_PACKAGES[@]}"
python_tools "$CHECKOV_VENV" "$CHECKOV"
python_tools "$OPENAPI_VENV" "$SPEC_VALIDATOR"
# The local face and document engine (local_engine/): dlib's prebuilt wheel
# and its public-domain models, and the packages whose public-domain test
# faces it uses. Never the `face_recognition` package (it builds dlib).
python_tools .local/tools/engine "dlib-bin==20.0.1.post1" "face-recognition-models==0.3.0" \
  "numpy==2.4.6" "pillow==13.0.0" "scikit-image==0.26.0" "matplotlib==3.11.2"
# The hosted pages' browser tests (tests/browser): Playwright for Python
# drives Debian's Chromium (Playwright cannot download its own browsers here).
python_tools .local/tools/browser "playwright==1.64.1" "pytest==8.4.2" "pillow==13.0.0" "PyJWT[crypto]==2.15.1"
if ! command -v chromium >/dev/null; then
  echo "bootstrap: installing chromium (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
# nginx: the reverse proxy of the proxy test (tests/tests/reverse_proxy.rs);
# the test runs its own instance on loopback, the package's service is unused.
if ! [ -x /usr/sbin/nginx ]; then
  echo "bootstrap: installing nginx-light (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends nginx-light >/dev/null
fi
# Tesseract OCR reads the documents (Debian's package).
if ! command -v tesseract >/dev/null; then
  echo "bootstrap: installing tesseract-ocr (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-eng >/dev/null
fi

# Node tools: jose (the JOSE library a relying party would use, tests/jose),
# axe-core (the browser tests' accessibility rules),
# Redocly's OpenAPI linter, and openapi-typescript with tsc (a client
# generated from the spec must type-check against real responses).
NODE_TOOLS=("jose@6.2.17" "@redocly/cli@2.77.0" "openapi-typescript@7.13.0" "typescript@5.9.3" "axe-core@4.11.0")
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
