# Sourced, not run: `source scripts/local-env.sh NAME` sets the environment a
# function sees locally, pointing the AWS SDK at the NAME stack.
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_name=${1:?stack name}
# shellcheck disable=SC1090
source "$_root/.local/$_name/env"
"$_root/.venv/bin/python" "$_root/scripts/local_secrets.py" "$_root/.local/secrets"
export PATH="$_root/.venv/bin:$PATH"
export GATEHOUSE_TABLE="gatehouse-$_name"
# The functions read their secrets from (moto's) Secrets Manager at start,
# as deployed; moto_setup.py stores them there. The tests read the public
# key file to check tokens.
export GATEHOUSE_OTP_PEPPER_SECRET=gatehouse/otp-pepper
export GATEHOUSE_JWT_PRIVATE_KEY_SECRET=gatehouse/jwt-private-key
export GATEHOUSE_JWT_PUBLIC_KEYS_SECRET=gatehouse/jwt-public-keys
export GATEHOUSE_RSA_PRIVATE_KEY_SECRET=gatehouse/rsa-private-key
export GATEHOUSE_RSA_PUBLIC_KEYS_SECRET=gatehouse/rsa-public-keys
export GATEHOUSE_SECRETS_DIR="$_root/.local/secrets"
export GATEHOUSE_JWT_PUBLIC_KEY_FILE="$_root/.local/secrets/jwt-public.pem"
# Browser origins a local front end may use (docs/security.md "Browsers and CORS").
export GATEHOUSE_CORS_ORIGINS="${GATEHOUSE_CORS_ORIGINS:-http://localhost:4200,http://127.0.0.1:4200,http://localhost:8080,http://127.0.0.1:8080}"
export GATEHOUSE_JWT_ISSUER="https://gatehouse.local"
# The API's own base URL: each project's OpenID Connect issuer is
# <url>/oidc/<project>. `make test` points it at its own port.
export GATEHOUSE_PUBLIC_URL="${GATEHOUSE_PUBLIC_URL:-http://127.0.0.1:9000}"
export GATEHOUSE_EMAIL_FROM="no-reply@gatehouse.local"
export GATEHOUSE_BCRYPT_COST="${GATEHOUSE_BCRYPT_COST:-10}"
"$_root/.venv/bin/python" "$_root/scripts/moto_setup.py"
unset _root _name
