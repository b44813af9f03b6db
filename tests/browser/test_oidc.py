"""Gatehouse as an OpenID Connect provider, judged by two independent
relying-party libraries, unmodified, each run as the app it would be: npm
`openid-client` v6 (oidc/rp_node.mjs) and PyPI `authlib` with Flask
(oidc/rp_flask.py). The user signs in on the hosted pages by email code in
Chromium; each library then does every step: discovery, the authorization
code with PKCE, the token, the ID token against the JWKS, userinfo,
refresh, revocation and logout."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from conftest import ROOT

HERE = ROOT / "tests" / "browser" / "oidc"
TOOLS = ROOT / ".local" / "tools"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, process):
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"the relying party exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the relying party did not start")


def register(http, tenant, port, client_type="confidential"):
    flow = tenant.flow(type="login", loginSettings={"email": True, "phone": False})
    status, answer = http.call("POST", "/v2/oauth-clients", {
        "project": tenant.project, "login_flow": flow, "client_name": f"rp {uuid.uuid4().hex[:6]}",
        "client_type": client_type, "redirect_uris": [f"http://127.0.0.1:{port}/callback"],
        "post_logout_redirect_uris": [f"http://127.0.0.1:{port}/signed-out"],
        "scopes": ["openid", "email", "offline_access"],
    }, tenant.key)
    assert status == 201, answer
    return answer["data"]


@pytest.fixture(params=["openid-client", "authlib"])
def relying_party(request, http, tenant):
    port = free_port()
    client = register(http, tenant, port)
    env = {"ISSUER": f"{http.base}/oidc/{tenant.project}", "CLIENT_ID": client["client_id"],
           "CLIENT_SECRET": client["client_secret"], "PORT": str(port), "PATH": "/usr/bin:/bin"}
    if request.param == "openid-client":
        # An ES module resolves packages from where it is read: run the
        # source from the folder that holds node_modules/openid-client.
        command = ["node", "--input-type=module", "-e", (HERE / "rp_node.mjs").read_text()]
        cwd = TOOLS
    else:
        command = [sys.executable, str(HERE / "rp_flask.py")]
        cwd = HERE
    process = subprocess.Popen(command, cwd=cwd, env={**env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_ready(port, process)
        yield request.param, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_relying_party_library_signs_in_by_email_code_and_does_every_step(page, moto, relying_party):
    name, rp = relying_party
    address = f"oidc-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(f"{rp}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    otp = page.get_by_label("One-time code")
    expect(otp).to_be_visible()
    otp.fill(moto.latest_code(address))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{rp}/signed-out?state=bye")
    seen = json.loads(page.locator("#seen").text_content())
    assert "error" not in seen, (name, seen)
    assert seen["steps"] == ["token", "userinfo", "refresh", "revoke"], (name, seen)
    assert seen["claims"]["sub"] == address and seen["claims"]["email"] == address
    assert seen["claims"]["email_verified"] is True and seen["claims"]["amr"] == ["email"]
    assert seen["userinfo"]["sub"] == address and seen["userinfo"]["email"] == address
    assert seen["rotated"] is True
    assert seen["afterRevoke"] == "invalid_grant", (name, seen)
    assert seen["logoutState"] == "bye"
    # Logout ended the OP session: a new authorization asks for a sign-in again.
    page.goto(f"{rp}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()


def test_the_readme_snippets_are_code_that_ran():
    """Each README block marked ```<lang> from:<file>``` is lines of that
    relying party, in order, exactly: the quickstart shows what this suite runs."""
    import re
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```\w+ from:(\S+)\n(.*?)```", readme, re.S)
    assert len(blocks) >= 4, "the quickstart's snippets"
    for path, block in blocks:
        source = (ROOT / path).read_text()
        assert block in source, f"README's snippet is not in {path}:\n{block}"
