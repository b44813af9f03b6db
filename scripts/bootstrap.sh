#!/usr/bin/env bash
# Installs the local tool chain into git-ignored folders. Idempotent: a second
# run only checks what is there. Needs the Rust toolchain, Python with pip,
# Node with npm and Java 17 on the machine.
#
#   scripts/bootstrap.sh       everything: make test, make lint, make sam-build
#   scripts/bootstrap.sh dev   only what make dev runs (the local stack and
#                              cargo lambda watch): no SAM, linters, browser
#                              or proxy, so a first make dev waits less
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-all}
case "$PROFILE" in dev | all) ;; *) echo "bootstrap: unknown profile $PROFILE (dev or all)" >&2; exit 2 ;; esac

VENV=.venv
TOOLS=.local/tools
# make dev needs the first two; the rest are SAM's build and the test tools.
DEV_PY_PACKAGES=("moto[server]==5.2.5" "cargo-lambda==1.9.2")
PY_PACKAGES=("${DEV_PY_PACKAGES[@]}" "aws-sam-cli==1.170.0" "ziglang==0.13.0" "cfn-lint" "schemathesis==4.32.5" "PyJWT==2.15.1")
# checkov pins its own dependencies: a venv of its own keeps them apart.
CHECKOV_VENV=.local/tools/checkov
CHECKOV="checkov==3.3.30"
# The OpenAPI validators make lint runs on openapi.yaml.
OPENAPI_VENV=.local/tools/openapi
SPEC_VALIDATOR="openapi-spec-validator==0.7.2"
# A virtualenv in DIR holding exactly PACKAGES; reinstalled when the list
# changes (the stamp names its digest).
stamp_of() { # DIR PACKAGES...
  local dir=$1; shift
  echo "$dir/.tools-$(printf '%s ' "$@" | sha256sum | cut -c1-12)"
}
python_tools() { # DIR PACKAGES...
  local dir=$1
  local stamp
  stamp=$(stamp_of "$@"); shift
  [ -f "$stamp" ] && return 0
  echo "bootstrap: installing $* into $dir"
  local started=$SECONDS
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --upgrade pip
  "$dir/bin/pip" install --quiet "$@"
  touch "$stamp"
  echo "bootstrap: $dir ready in $((SECONDS - started)) s"
}
# A Debian package, with sudo when not root.
apt_tool() { # COMMAND-OR-PATH PACKAGES...
  local tool=$1; shift
  command -v "$tool" >/dev/null && return 0
  echo "bootstrap: installing $* (apt)"
  local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ "$PROFILE" = dev ]; then
  # The full set holds the dev set.
  [ -f "$(stamp_of "$VENV" "${PY_PACKAGES[@]}")" ] || python_tools "$VENV" "${DEV_PY_PACKAGES[@]}"
else
  python_tools "$VENV" "${PY_PACKAGES[@]}"
fi

# The local face and document engine (local_engine/): dlib's prebuilt wheel
# and its public-domain models, and the packages whose public-domain test
# faces it uses. Never the `face_recognition` package (it builds dlib).
python_tools .local/tools/engine "dlib-bin==20.0.1.post1" "face-recognition-models==0.3.0" \
  "numpy==2.4.6" "pillow==13.0.0" "scikit-image==0.26.0" "matplotlib==3.11.2"
# Tesseract OCR reads the documents (Debian's package); jq reads the
# answers in the documented commands (README "A first sign-in").
apt_tool tesseract tesseract-ocr tesseract-ocr-eng
apt_tool jq jq

if [ ! -f "$TOOLS/node_modules/amplify-dynamodb-simulator/emulator/DynamoDBLocal.jar" ]; then
  echo "bootstrap: installing DynamoDB Local (amplify-dynamodb-simulator) into $TOOLS"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --silent --no-audit --no-fund amplify-dynamodb-simulator@2.9.30)
fi
if [ "$PROFILE" = dev ]; then
  echo "bootstrap: make dev's tools ready"
  exit 0
fi

python_tools "$CHECKOV_VENV" "$CHECKOV"
python_tools "$OPENAPI_VENV" "$SPEC_VALIDATOR"
# The hosted pages' browser tests (tests/browser): Playwright for Python
# drives Debian's Chromium (Playwright cannot download its own browsers here).
# Authlib with Flask and requests: the Python relying party of the OpenID
# Connect browser test (tests/browser/oidc_rp_flask.py).
python_tools .local/tools/browser "playwright==1.64.1" "pytest==8.4.2" "pillow==13.0.0" "PyJWT[crypto]==2.15.1" \
  "authlib==1.9.10" "flask==3.1.3" "requests==2.34.2"
apt_tool chromium chromium
# nginx: the reverse proxy of the proxy test (tests/tests/reverse_proxy.rs);
# the test runs its own instance on loopback, the package's service is unused.
apt_tool /usr/sbin/nginx nginx-light

# Node tools: jose (the JOSE library a relying party would use, tests/jose),
# openid-client (the Node relying party of the OpenID Connect browser test),
# axe-core (the browser tests' accessibility rules),
# Redocly's OpenAPI linter, and openapi-typescript with tsc (a client
# generated from the spec must type-check against real responses).
NODE_TOOLS=("jose@6.2.17" "@redocly/cli@2.77.0" "openapi-typescript@7.13.0" "typescript@5.9.3" "axe-core@4.11.0" "openid-client@6.9.1")
NODE_STAMP="$TOOLS/.node-$(printf '%s ' "${NODE_TOOLS[@]}" | sha256sum | cut -c1-12)"
if [ ! -f "$NODE_STAMP" ]; then
  echo "bootstrap: installing ${NODE_TOOLS[*]} into $TOOLS"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"private":true}' > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --silent --no-audit --no-fund "${NODE_TOOLS[@]}")
  touch "$NODE_STAMP"
fi

echo "bootstrap: tools ready"
