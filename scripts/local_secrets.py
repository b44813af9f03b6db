"""Creates the local-only secrets once: an OTP pepper and an Ed25519 JWT key
pair. They live in .local/secrets (git-ignored); deployed stacks take theirs
from Secrets Manager (see template.yaml)."""
import os
import secrets
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
os.chmod(out, 0o700)
if not os.path.exists(os.path.join(out, "jwt-private.pem")):
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with open(os.path.join(out, "jwt-private.pem"), "wb") as f:
        f.write(private)
    with open(os.path.join(out, "jwt-public.pem"), "wb") as f:
        f.write(public)
if not os.path.exists(os.path.join(out, "pepper")):
    with open(os.path.join(out, "pepper"), "w") as f:
        f.write(secrets.token_hex(32))
