"""Verifies a Gatehouse token as a Python relying party would: PyJWT's
PyJWKClient fetches the JWKS by URL and picks the key by the token's `kid`.
Environment: JWKS_URL, TOKEN, AUDIENCE, ISSUER. Prints the subject."""
import os
import sys

import jwt

client = jwt.PyJWKClient(os.environ["JWKS_URL"], cache_keys=False, cache_jwk_set=False)
token = os.environ["TOKEN"]
try:
    key = client.get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        key,
        algorithms=["EdDSA"],
        audience=os.environ["AUDIENCE"],
        issuer=os.environ["ISSUER"],
    )
except jwt.PyJWTError as error:
    print(f"refused: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(1)
print(claims["sub"])
