"""The hosted pages end to end: sign-in by code, by face, an onboarding
with the fake camera, the redirect and the code exchange, a keyboard-only
pass and axe-core's accessibility rules."""

import json
import pathlib
import urllib.parse
import urllib.request
import uuid

from playwright.sync_api import expect

from conftest import CALLBACK, ROOT, shot, verify_token

AXE = ROOT / ".local/tools/node_modules/axe-core/axe.min.js"
EMAIL_FLOW = {"type": "login", "loginSettings": {"email": True, "phone": False}}


def email():
    return f"hosted-{uuid.uuid4().hex[:10]}@example.com"


def query_of(url):
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def axe_violations(page):
    """axe-core's WCAG 2 A/AA rules on the page as it is now."""
    page.evaluate(AXE.read_text())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    return result


def sign_in_by_code(page, moto, project, flow, address, wrong_first=False, state="xyz-123"):
    page.goto(f"/sign-in/{project}?flow={flow}&state={state}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    otp = page.get_by_label("One-time code")
    expect(otp).to_be_visible()
    code = moto.latest_code(address)
    if wrong_first:
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        otp.fill(wrong)
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("alert")).to_have_text("That code is not right, or it is no longer valid.")
        expect(otp).to_have_attribute("aria-invalid", "true")
        expect(otp).to_be_focused()
        shot(page, "sign-in-wrong-code")
    otp.fill(code)
    page.get_by_role("button", name="Verify").click()


def test_sign_in_by_email_code_redirects_with_a_one_time_code(page, http, moto, tenant, callback):
    flow = tenant.flow(**EMAIL_FLOW)
    address = email()
    page.goto(f"/sign-in/{tenant.project}?flow={flow}&state=xyz-123")
    shot(page, "sign-in-start")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    otp = page.get_by_label("One-time code")
    expect(otp).to_have_attribute("autocomplete", "one-time-code")
    expect(otp).to_have_attribute("inputmode", "numeric")
    # The resend waits out the flow's cooldown (60 s), from Retry-After.
    resend = page.get_by_role("button", name="Send a new code in")
    expect(resend).to_be_disabled()
    assert 50 <= int(resend.inner_text().split(" in ")[1].split(" ")[0]) <= 60
    shot(page, "sign-in-code")
    code = moto.latest_code(address)
    otp.fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("That code is not right, or it is no longer valid.")
    shot(page, "sign-in-wrong-code")
    otp.fill(code)
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("https://app.example.test/**")
    shot(page, "sign-in-back-at-the-app")

    assert len(callback) == 1
    back = query_of(callback[0])
    assert callback[0].startswith(CALLBACK + "?")
    assert set(back) == {"code", "state"} and back["state"] == "xyz-123"
    assert "token" not in callback[0] and "eyJ" not in callback[0]
    # The customer's backend exchanges it once, with its API key.
    status, answer = tenant.exchange(back["code"])
    assert status == 200, answer
    claims = verify_token(http, answer["data"]["token"], tenant.project)
    assert claims["sub"] == address and claims["amr"] == ["email"]
    assert answer["data"]["appLogin"] == claims["loginId"]
    status, again = tenant.exchange(back["code"])
    assert (status, again["code"]) == (400, "invalid_grant")


def test_a_code_is_for_its_tenant_and_its_exact_redirect(page, http, moto, tenant, callback):
    flow = tenant.flow(**EMAIL_FLOW)
    other = type(tenant)(http)
    sign_in_by_code(page, moto, tenant.project, flow, email())
    page.wait_for_url("https://app.example.test/**")
    code = query_of(callback[0])["code"]
    # Another tenant's key spends the code and gets nothing.
    status, answer = tenant.exchange(code, key=other.key)
    assert (status, answer["code"]) == (400, "invalid_grant")
    assert tenant.exchange(code)[1]["code"] == "invalid_grant"

    # A redirect_uri other than the flow's own is refused: no open redirect.
    callback.clear()
    evil = urllib.parse.quote("https://app.example.test/callback/../evil", safe="")
    address = email()
    page.goto(f"/sign-in/{tenant.project}?flow={flow}&redirect_uri={evil}")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("One-time code")).to_be_visible()
    page.get_by_label("One-time code").fill(moto.latest_code(address))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_have_text("The return address is not one this app registered.")
    assert callback == []
    assert "/sign-in/" in page.url


def test_verifiks_token_redirect_is_an_opt_in(page, http, moto, tenant, callback):
    flow = tenant.flow(**EMAIL_FLOW, redirectMode="token")
    address = email()
    sign_in_by_code(page, moto, tenant.project, flow, address)
    page.wait_for_url("https://app.example.test/**")
    back = query_of(callback[0])
    assert back["type"] == "login"
    assert verify_token(http, back["token"], tenant.project)["sub"] == address


def test_keyboard_only(page, moto, tenant, callback):
    flow = tenant.flow(**EMAIL_FLOW)
    address = email()
    page.goto(f"/sign-in/{tenant.project}?flow={flow}")
    expect(page.get_by_role("heading", name="Sign in")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(address)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send code")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("One-time code")).to_be_focused()
    page.keyboard.type("12345")  # too short: refused on the page, named
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_have_text("Enter the 6 digits of the code.")
    expect(page.get_by_label("One-time code")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type(moto.latest_code(address))
    page.keyboard.press("Enter")
    page.wait_for_url("https://app.example.test/**")
    assert "code" in query_of(callback[0])


def test_accessibility_of_every_sign_in_screen(page, moto, tenant):
    flow = tenant.flow(**EMAIL_FLOW)
    address = email()
    page.goto(f"/sign-in/{tenant.project}?flow={flow}")
    expect(page.get_by_label("Email address")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("One-time code")).to_be_visible()
    assert axe_violations(page) == []
    page.get_by_label("One-time code").fill("000000" if moto.latest_code(address) != "000000" else "111111")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).not_to_be_empty()
    assert axe_violations(page) == []
    page.goto(f"/sign-up/{tenant.project}")
    expect(page.get_by_label("Full name")).to_be_visible()
    assert axe_violations(page) == []


def test_sign_in_by_sms_code_when_the_flow_offers_both(page, http, moto, tenant, callback):
    flow = tenant.flow(type="login", loginSettings={"email": True, "phone": True})
    mobile = "300" + uuid.uuid4().hex[:7].translate(str.maketrans("abcdef", "123456"))
    page.goto(f"/sign-in/{tenant.project}?flow={flow}&lang=es")
    # Both channels: a labelled choice; the phone fields appear with it.
    expect(page.get_by_label("Número de teléfono")).to_be_hidden()
    page.get_by_role("radio", name="Teléfono").check()
    page.get_by_label("Indicativo").fill("+57")
    page.get_by_label("Número de teléfono").fill(mobile)
    page.get_by_role("button", name="Enviar código").click()
    expect(page.get_by_label("Código de un solo uso")).to_be_visible()
    page.get_by_label("Código de un solo uso").fill(moto.latest_sms_code("+57" + mobile))
    page.get_by_role("button", name="Verificar").click()
    page.wait_for_url("https://app.example.test/**")
    status, answer = tenant.exchange(query_of(callback[0])["code"])
    assert status == 200, answer
    claims = verify_token(http, answer["data"]["token"], tenant.project)
    assert claims["sub"] == "+57" + mobile and claims["amr"] == ["sms"]


def test_spanish_texts(page, tenant):
    flow = tenant.flow(**EMAIL_FLOW)
    page.goto(f"/sign-in/{tenant.project}?flow={flow}&lang=es")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.get_by_role("button", name="Enviar código")).to_be_visible()


def test_onboarding_with_the_camera_then_sign_in_by_face(page, http, moto, engine, tenant, callback, tmp_path):
    onboarding = tenant.flow(type="onboarding", loginSettings={"email": True, "phone": False},
                             onboardingSettings={"identityVerification": {"verifier": "gatehouse"}})
    face_flow = tenant.flow(type="login", loginSettings={"email": True, "phone": False, "faceLiveness": True})
    address = email()

    page.goto(f"/sign-up/{tenant.project}?flow={onboarding}&state=onb")
    page.get_by_label("Full name").fill("Ana Lopez")
    page.get_by_label("Email address").fill(address)
    shot(page, "sign-up-form")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_label("One-time code")).to_be_visible()
    page.get_by_label("One-time code").fill(moto.latest_code(address))
    page.get_by_role("button", name="Verify").click()

    expect(page.get_by_role("heading", name="About you")).to_be_visible()
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Lopez")
    page.get_by_label("Date of birth").fill("1990-04-12")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_role("heading", name="Your identity document")).to_be_visible()
    request = urllib.request.Request(f"{engine}/local/fixtures/document", method="POST",
                                     data=json.dumps({"surname": "Lopez", "givenNames": "Ana", "faces": ["astronaut"]}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        passport = tmp_path / "passport.jpg"
        passport.write_bytes(answer.read())
    page.get_by_label("Photo of the document").set_input_files(str(passport))
    shot(page, "sign-up-document")
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("heading", name="A live photo of you")).to_be_visible()
    page.get_by_role("button", name="Start the camera").click()
    page.get_by_role("button", name="Take the check").click(timeout=30_000)
    page.wait_for_url("https://app.example.test/**")
    shot(page, "sign-up-back-at-the-app")
    back = query_of(callback[0])
    assert back["state"] == "onb"
    status, answer = tenant.exchange(back["code"])
    assert status == 200, answer
    claims = verify_token(http, answer["data"]["token"], tenant.project)
    assert claims["sub"] == address and claims["registrationId"] == answer["data"]["appRegistration"]

    # The face that onboarding enrolled now signs in, with no code.
    callback.clear()
    page.goto(f"/sign-in/{tenant.project}?flow={face_flow}")
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Sign in with your face").click()
    expect(page.get_by_role("heading", name="Check your face")).to_be_visible()
    page.get_by_role("button", name="Start the camera").click()
    expect(page.get_by_role("button", name="Take the check")).to_be_focused()
    shot(page, "face-sign-in-camera")
    page.get_by_role("button", name="Take the check").click(timeout=30_000)
    page.wait_for_url("https://app.example.test/**")
    status, answer = tenant.exchange(query_of(callback[0])["code"])
    assert status == 200, answer
    claims = verify_token(http, answer["data"]["token"], tenant.project)
    assert claims["sub"] == address and claims["amr"] == ["face"]

    # On a flow that asks for the face after the code, the page asks for both.
    callback.clear()
    two_factor = tenant.flow(type="login", loginSettings={"email": True, "phone": False, "requires2FA": True,
                                                           "faceLiveness": True})
    page.goto(f"/sign-in/{tenant.project}?flow={two_factor}")
    expect(page.get_by_role("button", name="Sign in with your face")).to_have_count(0)
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Send code").click()
    expect(page.get_by_label("One-time code")).to_be_visible()
    page.get_by_label("One-time code").fill(moto.latest_code(address))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="One more step: your face")).to_be_focused()
    page.get_by_role("button", name="Start the camera").click()
    page.get_by_role("button", name="Take the check").click(timeout=30_000)
    page.wait_for_url("https://app.example.test/**")
    status, answer = tenant.exchange(query_of(callback[0])["code"])
    assert status == 200, answer
    claims = verify_token(http, answer["data"]["token"], tenant.project)
    assert claims["sub"] == address and claims["amr"] == ["email", "face"]


def test_a_face_nobody_enrolled_is_refused_on_the_page(page, tenant, callback):
    face_flow = tenant.flow(type="login", loginSettings={"email": True, "phone": False, "faceLiveness": True})
    page.goto(f"/sign-in/{tenant.project}?flow={face_flow}")
    page.get_by_label("Email address").fill(email())
    page.get_by_role("button", name="Sign in with your face").click()
    page.get_by_role("button", name="Start the camera").click()
    page.get_by_role("button", name="Take the check").click(timeout=30_000)
    expect(page.get_by_role("alert")).to_have_text("We did not recognise your face. Try again, or use a code.")
    assert callback == []


def raw(http, method, path, headers=None, body=None):
    request = urllib.request.Request(http.base + path, method=method, headers=headers or {},
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_the_pages_headers_and_what_they_refuse(http, tenant):
    status, headers, body = raw(http, "GET", f"/sign-in/{tenant.project}")
    assert status == 200 and headers["content-type"].startswith("text/html")
    csp = headers["content-security-policy"]
    for directive in ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'none'"]:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    assert b"<script src=\"/hosted/app.js\" defer>" in body and b"<script>" not in body

    status, headers, body = raw(http, "GET", "/hosted/app.js", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip" and len(body) < 12_000
    assert raw(http, "GET", "/hosted/app.map")[0] == 404
    status, _, body = raw(http, "GET", "/sign-up/not-a-project")
    assert status == 404 and json.loads(body)["code"] == "project_not_found"

    # Another site's page may not call the API, even the pages' own endpoints.
    status, _, body = raw(http, "POST", "/v2/hosted/authorizations",
                          {"Origin": "https://evil.example", "Content-Type": "application/json"},
                          {"redirectUri": CALLBACK})
    assert status == 403 and json.loads(body)["code"] == "origin_not_allowed"
    # Without a token, the stack's own origin gets nothing either.
    status, _, body = raw(http, "POST", "/v2/hosted/authorizations",
                          {"Origin": http.base, "Content-Type": "application/json"}, {"redirectUri": CALLBACK})
    assert status == 401
    # The exchange is for API keys only.
    status, _, body = raw(http, "POST", "/v2/hosted/token", {"Content-Type": "application/json"},
                          {"code": "ghc_" + "a" * 43, "redirectUri": CALLBACK})
    assert status == 401
