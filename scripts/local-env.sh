# Sourced, not run: `source scripts/local-env.sh NAME` sets the environment a
# function sees locally, pointing the AWS SDK at the NAME stack.
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
_name=${1:?stack name}
# shellcheck disable=SC1090
source "$_root/.local/$_name/env"
"$_root/.venv/bin/python" "$_root/scripts/local_secrets.py" "$_root/.local/secrets"
export PATH="$_root/.venv/bin:$PATH"
export GATEHOUSE_TABLE="gatehouse-$_name"
export GATEHOUSE_OTP_PEPPER="$(cat "$_root/.local/secrets/pepper")"
export GATEHOUSE_JWT_PRIVATE_KEY="$(cat "$_root/.local/secrets/jwt-private.pem")"
export GATEHOUSE_JWT_PUBLIC_KEY="$(cat "$_root/.local/secrets/jwt-public.pem")"
export GATEHOUSE_JWT_PUBLIC_KEY_FILE="$_root/.local/secrets/jwt-public.pem"
export GATEHOUSE_JWT_ISSUER="https://gatehouse.local"
export GATEHOUSE_EMAIL_FROM="no-reply@gatehouse.local"
export GATEHOUSE_BCRYPT_COST="${GATEHOUSE_BCRYPT_COST:-10}"
"$_root/.venv/bin/python" "$_root/scripts/moto_setup.py"
unset _root _name
