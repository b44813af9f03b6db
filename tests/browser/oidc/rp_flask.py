"""A relying party on PyPI `authlib` (Flask), unmodified: GET /login starts
the sign-in; GET /callback takes the code (authlib checks the ID token
against the JWKS, the nonce and the state), then userinfo, refresh and
revocation, and sends the browser to logout; GET /signed-out shows what it
saw, as JSON. Environment: ISSUER, CLIENT_ID, CLIENT_SECRET, PORT.

The local stack is http: authlib's documented AUTHLIB_INSECURE_TRANSPORT
switch allows it."""

import json
import os
import secrets
import urllib.parse

from authlib.integrations.flask_client import OAuth
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, redirect, request

os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")
ISSUER, CLIENT_ID, CLIENT_SECRET, PORT = (os.environ[n] for n in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET", "PORT"))
BASE = f"http://127.0.0.1:{PORT}"

app = Flask(__name__)
app.secret_key = secrets.token_hex(16)
oauth = OAuth(app)
oauth.register(
    "gatehouse",
    client_id=CLIENT_ID,
    client_secret=CLIENT_SECRET,
    server_metadata_url=f"{ISSUER}/.well-known/openid-configuration",
    client_kwargs={"scope": "openid email offline_access", "code_challenge_method": "S256"},
)
seen = {"steps": []}


@app.route("/login")
def login():
    return oauth.gatehouse.authorize_redirect(f"{BASE}/callback")


@app.route("/callback")
def callback():
    try:
        token = oauth.gatehouse.authorize_access_token()
        seen["claims"] = dict(token["userinfo"])
        seen["steps"].append("token")
        seen["userinfo"] = dict(oauth.gatehouse.userinfo(token=token))
        seen["steps"].append("userinfo")
        metadata = oauth.gatehouse.load_server_metadata()
        rp = OAuth2Session(CLIENT_ID, CLIENT_SECRET, token_endpoint_auth_method="client_secret_basic")
        refreshed = rp.refresh_token(metadata["token_endpoint"], refresh_token=token["refresh_token"])
        seen["rotated"] = refreshed["refresh_token"] != token["refresh_token"]
        seen["steps"].append("refresh")
        revoked = rp.revoke_token(metadata["revocation_endpoint"], refreshed["refresh_token"], token_type_hint="refresh_token")
        revoked.raise_for_status()
        seen["steps"].append("revoke")
        try:
            rp.refresh_token(metadata["token_endpoint"], refresh_token=refreshed["refresh_token"])
            seen["afterRevoke"] = "refreshed"
        except Exception as error:  # authlib raises OAuthError with the RFC code
            seen["afterRevoke"] = getattr(error, "error", str(error))
        logout = metadata["end_session_endpoint"] + "?" + urllib.parse.urlencode(
            {"id_token_hint": token["id_token"], "post_logout_redirect_uri": f"{BASE}/signed-out", "state": "bye"})
        return redirect(logout)
    except Exception as error:
        seen["error"] = repr(error)
        return f'<!doctype html><title>RP error</title><pre id="seen">{json.dumps(seen)}</pre>', 500


@app.route("/signed-out")
def signed_out():
    seen["logoutState"] = request.args.get("state")
    return f'<!doctype html><title>Signed out</title><pre id="seen">{json.dumps(seen)}</pre>'


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(PORT))
