"""Handler times of identity verification, end to end through a running
stack (`make dev`, or scripts/bench/identity.sh's own): N onboardings, each
through the document check, a liveness session and the live-face check, with
the local engine's faces and documents. Prints the median and p90 of every
call, and the engine's own time per operation (from its log), so Gatehouse's
share is the difference. Never fails on a timing.

    python3 scripts/bench/identity.py API_URL MOTO_URL ENGINE_URL DEMO_JSON ENGINE_LOG [N]
"""

import base64
import json
import re
import statistics
import sys
import time
import urllib.request
import uuid


def call(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            payload = reply.read()
            status = reply.status
    except urllib.error.HTTPError as error:
        payload, status = error.read(), error.code
    elapsed = (time.perf_counter() - started) * 1000
    return status, (json.loads(payload) if payload else None), elapsed


def latest_code(moto, email=None, phone=None):
    data = json.loads(urllib.request.urlopen(f"{moto}/moto-api/data.json").read())
    if email:
        texts = [m.get("subject", "") for m in data.get("ses", {}).get("Message", [])
                 if email in m.get("destinations", {}).get("ToAddresses", [])]
    else:
        texts = [m.get("message", "") for m in data.get("sns", {}).get("SMS", [])
                 if m.get("phone_number") == phone]
    for text in reversed(texts):
        match = re.search(r"\b(\d{6})\b", text)
        if match:
            return match.group(1)
    raise SystemExit(f"no code for {email or phone}")


def main():
    api, moto, engine, demo_path, engine_log = sys.argv[1:6]
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    demo = json.load(open(demo_path))
    flow = demo["verifiedOnboardingFlow"]
    face = urllib.request.urlopen(f"{engine}/local/fixtures/faces/astronaut?variant=rotated").read()
    request = urllib.request.Request(f"{engine}/local/fixtures/document",
                                     data=json.dumps({"surname": "Lopez", "givenNames": "Ana"}).encode(),
                                     headers={"Content-Type": "application/json"})
    document = base64.b64encode(urllib.request.urlopen(request).read()).decode()
    times = {"document": [], "session": [], "liveness": []}
    sizes = []
    for _ in range(runs):
        email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
        phone = f"300{uuid.uuid4().int % 10_000_000:07d}"
        status, body, _ = call("POST", f"{api}/v2/app-registrations",
                               {"projectFlow": flow, "email": email, "countryCode": "+57",
                                "phone": phone, "fullName": "Ana Lopez"})
        assert status == 201, body
        registration, token = body["data"]["appRegistration"]["_id"], body["data"]["token"]
        for kind, code in (("email", latest_code(moto, email=email)),
                           ("phone", latest_code(moto, phone=f"+57{phone}"))):
            status, body, _ = call("POST", f"{api}/v2/app-registrations/{registration}/validate",
                                   {"type": kind, "otp": code}, token)
            assert status == 200, body
        status, body, _ = call("PUT", f"{api}/v2/app-registrations/{registration}/information",
                               {"step": "basicInformation", "data": {"firstName": "Ana", "lastName": "Lopez"}}, token)
        assert status == 200, body
        status, body, ms = call("POST", f"{api}/v2/document-validations/app-registration",
                                {"image": document}, token)
        assert status == 200 and body["data"]["documentValidation"]["status"] == "passed", body
        times["document"].append(ms)
        status, body, ms = call("POST", f"{api}/v2/biometric-validations/app-registration/session", {}, token)
        assert status == 201, body
        times["session"].append(ms)
        session = body["data"]["sessionId"]
        still = urllib.request.Request(f"{engine}/local/liveness/{session}", method="POST",
                                       data=json.dumps({"image": base64.b64encode(face).decode(), "confidence": 97}).encode(),
                                       headers={"Content-Type": "application/json"})
        urllib.request.urlopen(still).read()
        status, body, ms = call("POST", f"{api}/v2/biometric-validations/app-registration",
                                {"sessionId": session}, token)
        assert status == 200 and body["data"]["biometricValidation"]["status"] == "passed", body
        times["liveness"].append(ms)
        status, body, _ = call("GET", f"{api}/v2/app-registrations/{registration}", token=demo["apiKey"])
        sizes.append(len(json.dumps(body["data"])))
    engine_ms = {}
    for line in open(engine_log):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "operation" in entry:
            engine_ms.setdefault(entry["operation"], []).append(entry["ms"])
    print(f"| call | median ms | p90 ms | (n={runs}, warm, through cargo lambda watch, debug build) |")
    print("|---|---:|---:|---|")
    for name, values in times.items():
        values = sorted(values[1:] or values)  # the first run pays compilation and cold start
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(f"| {name} | {statistics.median(values):.0f} | {p90:.0f} | |")
    print()
    print(f"A completed registration with its identity evidence, as the tenant reads it: {statistics.median(sizes):.0f} bytes of JSON.")
    print()
    print("| local engine operation | median ms | calls |")
    print("|---|---:|---:|")
    for name, values in sorted(engine_ms.items()):
        print(f"| {name} | {statistics.median(values):.0f} | {len(values)} |")


if __name__ == "__main__":
    main()
