"""Creates the local-only secrets once: an OTP pepper, an Ed25519 JWT key
pair and an RSA key pair (OpenID Connect's RS256). They live in .local/secrets (git-ignored); deployed stacks take theirs
from Secrets Manager (see template.yaml)."""
import os
import secrets
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric import rsa

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
os.chmod(out, 0o700)


def write_pair(name, generate):
    """NAME-private.pem (PKCS#8) and NAME-public.pem (SPKI), made once."""
    if os.path.exists(os.path.join(out, f"{name}-private.pem")):
        return
    key = generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with open(os.path.join(out, f"{name}-private.pem"), "wb") as f:
        f.write(private)
    with open(os.path.join(out, f"{name}-public.pem"), "wb") as f:
        f.write(public)


write_pair("jwt", Ed25519PrivateKey.generate)
write_pair("rsa", lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
if not os.path.exists(os.path.join(out, "pepper")):
    with open(os.path.join(out, "pepper"), "w") as f:
        f.write(secrets.token_hex(32))
