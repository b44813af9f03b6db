"""The hosted pages in a real browser: Debian's Chromium driven by
Playwright, against the private stack `make test` runs (cargo lambda watch,
DynamoDB Local, moto, the local face engine). Chromium's fake camera plays
a public-domain face (scikit-image's astronaut) from a Y4M file.
"""

import io
import json
import os
import pathlib
import re
import subprocess
import urllib.request
import uuid

import jwt
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect, sync_playwright

# The first call to each function under cargo lambda watch may start it.
expect.set_options(timeout=60_000)

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHOTS = ROOT / ".local" / "test" / "screenshots"
CHROMIUM = os.environ.get("GATEHOUSE_CHROMIUM", "/usr/bin/chromium")
CALLBACK = "https://app.example.test/callback"


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run through scripts/test.sh", returncode=2)
    return value


class Http:
    """Plain HTTP to the stack: what a customer's backend does."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, key=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:
                return answer.status, json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


class Moto:
    def __init__(self, base):
        self.base = base

    def latest_code(self, to):
        with urllib.request.urlopen(f"{self.base}/moto-api/data.json", timeout=30) as answer:
            data = json.loads(answer.read())
        subjects = [m["subject"] for m in data.get("ses", {}).get("Message", [])
                    if to in m.get("destinations", {}).get("ToAddresses", [])]
        assert subjects, f"no email was sent to {to}"
        return re.search(r"\b(\d{6})\b", subjects[-1]).group(1)


    def latest_sms_code(self, e164):
        with urllib.request.urlopen(f"{self.base}/moto-api/data.json", timeout=30) as answer:
            data = json.loads(answer.read())
        texts = [m["message"] for m in data.get("sns", {}).get("SMS", []) if m.get("phone_number") == e164]
        assert texts, f"no SMS was sent to {e164}"
        return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


class Tenant:
    """A fresh demo tenant (gatehouse-admin demo) with flows that redirect."""

    def __init__(self, http):
        self.http = http
        out = subprocess.run([str(ROOT / "target/debug/gatehouse-admin"), "demo", "--name", f"browser {uuid.uuid4().hex[:8]}"],
                             check=True, capture_output=True, text=True).stdout
        demo = json.loads(out)
        self.key = demo["apiKey"]
        self.project = demo["project"]

    def flow(self, **fields):
        body = {"project": self.project, "name": "hosted " + uuid.uuid4().hex[:6], "status": "active",
                "redirectUrl": CALLBACK, **fields}
        status, answer = self.http.call("POST", "/v2/project-flows", body, self.key)
        assert status == 201, answer
        return answer["data"]["_id"]

    def exchange(self, code, redirect_uri=CALLBACK, key=None):
        return self.http.call("POST", "/v2/hosted/token", {"code": code, "redirectUri": redirect_uri}, key or self.key)


def verify_token(http, token, project):
    """As a relying party would: the JWKS and the project as audience."""
    status, jwks = http.call("GET", "/.well-known/jwks.json")
    assert status == 200
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["EdDSA"], audience=project,
                      issuer=os.environ.get("GATEHOUSE_JWT_ISSUER", "https://gatehouse.local"))


def y4m_of(jpeg: bytes, path: pathlib.Path, width=640, height=480, frames=4):
    """A face image as a Y4M video (4:2:0), what Chromium's fake camera plays."""
    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    image.thumbnail((width, height))
    canvas = Image.new("RGB", (width, height), (128, 128, 128))
    canvas.paste(image, ((width - image.width) // 2, (height - image.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    chroma = (width // 2, height // 2)
    frame = y.tobytes() + cb.resize(chroma).tobytes() + cr.resize(chroma).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + frame)


@pytest.fixture(scope="session")
def http():
    return Http(env("GATEHOUSE_E2E_URL"))


@pytest.fixture(scope="session")
def moto():
    return Moto(env("GATEHOUSE_MOTO_URL"))


@pytest.fixture(scope="session")
def engine():
    return env("GATEHOUSE_ENGINE_URL")


@pytest.fixture()
def tenant(http):
    return Tenant(http)


@pytest.fixture(scope="session")
def camera_file(engine, tmp_path_factory):
    with urllib.request.urlopen(f"{engine}/local/fixtures/faces/astronaut?variant=selfie", timeout=60) as answer:
        jpeg = answer.read()
    path = tmp_path_factory.mktemp("camera") / "astronaut.y4m"
    y4m_of(jpeg, path)
    return path


@pytest.fixture(scope="session")
def browser(camera_file):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={camera_file}",
            ],
        )
        yield browser
        browser.close()


# cargo lambda watch 1.9.2 sometimes loses a function's response when its
# body is larger than one read (its runtime API answers the function's POST
# before reading the body): about 1 in 1,000 loads of the gzipped script
# (14 KB) and 1 in 125 of the plain one (50 KB), never the 3 KB stylesheet,
# measured with parallel GETs through watch. Watch then either answers its
# own 500 with exactly this body, which Gatehouse never sends (its 5xx are
# JSON with a `code`), or never answers at all: CI once waited out a whole
# test on one `/hosted/app.js`. Deployed, API Gateway reads the whole
# response. So a static asset that watch lost is fetched again, at most
# twice, and counted. The hosted pages' assets are compiled-in bytes,
# answered in milliseconds, so one that takes ASSET_WAIT_MS was lost. Any
# other 5xx, Gatehouse's own included, reaches the page and fails the test.
EMULATOR_LOST_RESPONSE = b'{"type":"https://httpstatuses.com/500","status":500,"title":"Internal Server Error"}'
ASSET_WAIT_MS = 20_000
emulator_faults = []


def asset_through_watch(route):
    for attempt in range(3):
        last = attempt == 2
        try:
            # The last try waits as long as a page does, and its failure fails the test.
            response = route.fetch(timeout=120_000 if last else ASSET_WAIT_MS)
        except PlaywrightTimeout:
            if last:
                raise
            emulator_faults.append(f"{route.request.url} (no answer)")
            continue
        if last or response.status != 500 or response.body() != EMULATOR_LOST_RESPONSE:
            break
        emulator_faults.append(route.request.url)
    route.fulfill(response=response)


def pytest_terminal_summary(terminalreporter):
    if emulator_faults:
        terminalreporter.write_line(
            f"cargo lambda watch lost {len(emulator_faults)} asset response(s), fetched again: {emulator_faults}")


@pytest.fixture()
def page(browser, http):
    context = browser.new_context(permissions=["camera"], base_url=http.base, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.route(f"{http.base}/hosted/*", asset_through_watch)
    # The page's own errors fail the test that caused them.
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # The browser logs every 4xx (a wrong code is one); a 5xx or any other
    # console error is a defect.
    expected = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")
    page.on("console", lambda message: message.type == "error" and not expected.match(message.text)
            and errors.append(message.text))
    # The console names no URL: a 5xx is also recorded with its request, so
    # a failure says which call broke (the watch log has the cause).
    page.on("response", lambda response: response.status >= 500 and errors.append(
        f"{response.status} {response.request.method} {response.url}"))
    yield page
    context.close()
    assert errors == [], errors


@pytest.fixture()
def callback(page):
    """The customer's redirect target, answered in the browser: every URL
    the browser was sent to there."""
    seen = []

    def answer(route):
        seen.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<!doctype html><title>Back at the app</title><h1>Back at the app</h1>")

    page.route("https://app.example.test/**", answer)
    return seen


def shot(page, name):
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
