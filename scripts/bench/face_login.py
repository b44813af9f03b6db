"""Handler times of face login, end to end through a running stack
(`make dev`): one user adds a face after a code login (the enrolment), then
N face-first sign-ins with her face and N with another face (failures, from
fresh source identifiers so no lockout trips). Prints the median and p90 of
every call, and the local engine's time per operation from its log, so
Gatehouse's share is the difference. Never fails on a timing.

    python3 scripts/bench/face_login.py API_URL MOTO_URL ENGINE_URL DEMO_JSON ENGINE_LOG [N]
"""

import base64
import json
import statistics
import sys
import time
import urllib.request
import uuid

from identity import call, latest_code


def run_liveness(engine, session, face):
    still = urllib.request.Request(
        f"{engine}/local/liveness/{session}", method="POST",
        data=json.dumps({"image": base64.b64encode(face).decode(), "confidence": 97}).encode(),
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(still).read()


def main():
    api, moto, engine, demo_path, engine_log = sys.argv[1:6]
    runs = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    demo = json.load(open(demo_path))
    flow = demo["faceLoginFlow"]
    face = {name: urllib.request.urlopen(f"{engine}/local/fixtures/faces/{name}?variant=selfie").read()
            for name in ("astronaut", "hopper")}
    start_log = sum(1 for _ in open(engine_log))

    # The enrolment: a code login, then a face added with its token.
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    status, body, _ = call("POST", f"{api}/v2/app-logins", {"projectFlow": flow, "email": email}, demo["apiKey"])
    assert status == 201, body
    login = body["data"]["appLogin"]["_id"]
    status, body, _ = call("POST", f"{api}/v2/app-logins/{login}/validate", {"otp": latest_code(moto, email=email)})
    assert status == 200, body
    token = body["data"]["token"]
    status, body, enrol_start = call("POST", f"{api}/v2/biometric-validations/app-login", {}, token)
    assert status == 201, body
    run_liveness(engine, body["data"]["sessionId"], face["astronaut"])
    status, body, enrol_check = call("POST", f"{api}/v2/biometric-validations/validate",
                                     {"sessionId": body["data"]["sessionId"]}, token)
    assert status == 200, body

    times = {"start (face first)": [], "check, passed": [], "check, not recognised": []}
    for i in range(runs):
        for who, identifier, expected in (("astronaut", email, 200),
                                          ("hopper", f"bench-{uuid.uuid4().hex[:12]}@example.com", 403)):
            status, body, ms = call("POST", f"{api}/v2/biometric-validations",
                                    {"identifier": identifier, "type": "login", "projectFlow": flow})
            assert status == 201, body
            times["start (face first)"].append(ms)
            run_liveness(engine, body["data"]["sessionId"], face[who])
            status, body, ms = call("POST", f"{api}/v2/biometric-validations/validate",
                                    {"sessionId": body["data"]["sessionId"]}, body["data"]["faceToken"])
            assert status == expected, body
            times["check, passed" if expected == 200 else "check, not recognised"].append(ms)

    engine_ms = {}
    for n, line in enumerate(open(engine_log)):
        if n < start_log:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "operation" in entry:
            engine_ms.setdefault(entry["operation"], []).append(entry["ms"])
    print(f"| call | median ms | p90 ms | (n={runs} each, warm, through cargo lambda watch, debug build) |")
    print("|---|---:|---:|---|")
    print(f"| enrolment: session | {enrol_start:.0f} | | one run |")
    print(f"| enrolment: check and index | {enrol_check:.0f} | | one run |")
    for name, values in times.items():
        values = sorted(values[1:] or values)  # the first run pays the function's start
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        print(f"| {name} | {statistics.median(values):.0f} | {p90:.0f} | |")
    print()
    print("| local engine operation | median ms | calls |")
    print("|---|---:|---:|")
    for name, values in sorted(engine_ms.items()):
        print(f"| {name} | {statistics.median(values):.0f} | {len(values)} |")


if __name__ == "__main__":
    main()
