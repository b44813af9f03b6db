"""Cold init and first-event cost per Lambda binary, against the local stack.

A fake Lambda Runtime API (the /2018-06-01/runtime protocol) on loopback
starts each binary as Lambda would, and times:
  init    exec -> first GET /runtime/invocation/next
  first   exec -> response to a first real API Gateway v2 event (cold)
  warm    event -> response for a second event in the same process
A counting proxy in front of DynamoDB Local records the DynamoDB calls of
each event. Prints JSON results on stdout.

usage: cold_start.py BIN_DIR RUNS    (env: the local stack, see bench.sh)
"""
import base64
import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

BIN_DIR, RUNS = sys.argv[1], int(sys.argv[2])
DEMO = json.load(open(os.environ["BENCH_DEMO"]))
MOTO = os.environ["GATEHOUSE_MOTO_URL"]
UPSTREAM = os.environ["AWS_ENDPOINT_URL_DYNAMODB"].replace("http://", "")


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []

    def add(self, op):
        with self.lock:
            self.calls.append(op)

    def take(self):
        with self.lock:
            calls, self.calls = self.calls, []
        return calls


COUNTER = Counter()


class NoDelay:
    """Small writes must not wait for delayed ACKs (a 40 ms Nagle stall)."""

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


UPSTREAM_CONNECTIONS = threading.local()


def upstream():
    conn = getattr(UPSTREAM_CONNECTIONS, "conn", None)
    if conn is None:
        conn = http.client.HTTPConnection(UPSTREAM)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        UPSTREAM_CONNECTIONS.conn = conn
    return conn


class DynamoProxy(NoDelay, http.server.BaseHTTPRequestHandler):
    """Forwards to DynamoDB Local and notes each operation."""

    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        COUNTER.add(self.headers.get("x-amz-target", "?").split(".")[-1])
        conn = upstream()
        conn.request("POST", self.path, body, {k: v for k, v in self.headers.items()})
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Runtime:
    """One fake Runtime API for one process and its queued events."""

    def __init__(self, events):
        self.events = list(events)
        self.first_next = None
        self.sent_at = {}
        self.responses = []
        self.calls = []
        self.done = threading.Event()
        runtime = self

        class Handler(NoDelay, http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                if not self.path.endswith("/runtime/invocation/next"):
                    self.send_error(404)
                    return
                now = time.perf_counter()
                if runtime.first_next is None:
                    runtime.first_next = now
                # The DynamoDB calls since the previous poll belong to the
                # event answered just before it (the first: to init).
                runtime.calls.append(COUNTER.take())
                if not runtime.events:
                    runtime.done.wait(30)
                    return
                event = runtime.events.pop(0)
                request_id = str(uuid.uuid4())
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                runtime.sent_at[request_id] = time.perf_counter()
                self.wfile.write(body)

            def do_POST(self):
                now = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("content-length", 0) or 0))
                parts = self.path.split("/")
                request_id = parts[-2] if len(parts) > 2 else ""
                runtime.responses.append((request_id, now, parts[-1], body))
                self.send_response(202)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.done.set()
        self.server.shutdown()


def api_event(method, path, body=None, query="", path_id=None, key=True, params=None, headers=None):
    headers = {"content-type": "application/json", "user-agent": "bench", **(headers or {})}
    if key:
        headers["authorization"] = f"Bearer {DEMO['apiKey']}"
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
        "headers": headers, "pathParameters": params or ({"id": path_id} if path_id else {}),
        "requestContext": {"accountId": "123456789012", "apiId": "bench", "domainName": "bench", "domainPrefix": "bench",
                           "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "bench"},
                           "requestId": str(uuid.uuid4()), "routeKey": "$default", "stage": "$default", "time": "t", "timeEpoch": 0},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


def deployed_secrets():
    """The `*_SECRET` variables template.yaml gives each function: a bench
    run reads exactly the secrets the deployed function would at init."""
    import re
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "template.yaml")
    template = open(root).read()
    found = {}
    for block in re.split(r"(?m)^  (?=\w+:\n    Type: AWS::Serverless::Function)", template)[1:]:
        binary = re.search(r"Binary: ([\w-]+)", block)
        if binary:
            found[binary.group(1)] = set(re.findall(r"(GATEHOUSE_\w+_SECRET):", block))
    return found


SECRETS = deployed_secrets()


def invoke(binary, events, env):
    """Runs one cold process through its events; returns timings and replies."""
    name = os.path.basename(os.path.dirname(binary))
    if name in SECRETS:
        env = {k: v for k, v in env.items() if not k.endswith("_SECRET") or k in SECRETS[name]}
    runtime = Runtime(events)
    env = dict(env, AWS_LAMBDA_RUNTIME_API=runtime.address, AWS_LAMBDA_FUNCTION_NAME=os.path.basename(binary))
    COUNTER.take()
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    # Done when every event is answered and the process polls once more.
    while time.time() < deadline and len(runtime.calls) < len(events) + 1:
        if proc.poll() is not None:
            break
        time.sleep(0.0005)
    proc.kill()
    proc.wait()
    runtime.close()
    if len(runtime.responses) < len(events):
        raise SystemExit(f"{binary}: answered {len(runtime.responses)} of {len(events)} events")
    (rid1, t1, kind1, body1), (rid2, t2, kind2, body2) = runtime.responses[:2]
    if kind1 != "response" or kind2 != "response":
        raise SystemExit(f"{binary}: error reply {body1[:300]!r} {body2[:300]!r}")
    return {
        "init_ms": (runtime.first_next - start) * 1000,
        "first_ms": (t1 - start) * 1000,
        "warm_ms": (t2 - runtime.sent_at[rid2]) * 1000,
        "replies": [json.loads(body1), json.loads(body2)],
        "calls": runtime.calls[1:],
    }


def routes():
    """Each function's first route (method, path) from the root Cargo.toml's
    router, the one `cargo lambda watch` and the template share."""
    import tomllib
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Cargo.toml")
    router = tomllib.load(open(root, "rb"))["workspace"]["metadata"]["lambda"]["watch"]["router"]
    found = {}
    for path, entries in router.items():
        for entry in entries:
            found.setdefault(entry["function"], (entry["method"], path))
    return found


def generic_run(results, binary, env, name, route):
    """Two requests any function answers: its route with the tenant's API
    key, path parameters of a well-formed id nobody has, and `{}` as the
    body of a write. Reads get their real answer (often an empty list or a
    404), writes their 400 naming what is missing: the handler's parse,
    auth and first storage path, not its success path."""
    method, path = route
    params = {}
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = "01KBENCH0000000000000000AA"
    concrete = path
    for key, value in params.items():
        concrete = concrete.replace("{" + key + "}", value)
    body = {} if method in ("POST", "PUT", "PATCH") else None
    event = api_event(method, concrete, body, params=params,
                      headers={"origin": "https://bench.example"} if method == "OPTIONS" else None)
    results[name].append(invoke(binary(name), [event, event], env))


def status_body(reply):
    return reply["statusCode"], json.loads(reply.get("body") or "null")


def latest_code(email):
    data = json.load(urllib.request.urlopen(f"{MOTO}/moto-api/data.json"))
    for message in reversed(data["ses"]["Message"]):
        if email in message["destinations"]["ToAddresses"]:
            return message["subject"][:6]
    raise SystemExit(f"no email to {email}")


def face_run(results, binary, env, flow, emails):
    """Two face-first starts in one cold process, then their checks (a face
    no one enrolled: the whole search runs, and the answer is 403)."""
    engine = os.environ["GATEHOUSE_ENGINE_URL"]
    events = [api_event("POST", "/v2/biometric-validations", {"identifier": e, "projectFlow": flow}, key=False) for e in emails]
    r = invoke(binary("face-logins-create"), events, env)
    started = []
    for reply in r["replies"]:
        status, body = status_body(reply)
        assert status == 201, (status, body)
        started.append((body["data"]["sessionId"], body["data"]["faceToken"]))
    results["face-logins-create"].append(r)
    still = urllib.request.urlopen(f"{engine}/local/fixtures/faces/hopper?variant=selfie").read()
    for session, _ in started:
        request = urllib.request.Request(f"{engine}/local/liveness/{session}", method="POST",
                                         data=json.dumps({"image": base64.b64encode(still).decode(), "confidence": 97}).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request).read()
    events = []
    for session, token in started:
        event = api_event("POST", "/v2/biometric-validations/validate", {"sessionId": session}, key=False)
        event["headers"]["authorization"] = f"Bearer {token}"
        events.append(event)
    r = invoke(binary("face-logins-validate"), events, env)
    assert all(status_body(x)[0] == 403 for x in r["replies"]), r["replies"]
    results["face-logins-validate"].append(r)


def hosted_run(results, binary, env):
    """The page then its script (gzipped); an authorisation without a token
    (401, no DynamoDB call); an exchange of an unknown code (400, one
    conditional DeleteItem). Each with the secrets template.yaml gives it:
    none, the public keys, none."""
    project = "01" + uuid.uuid4().hex[:24]
    only = lambda *keep: {k: v for k, v in env.items() if not k.endswith("_SECRET") or k in keep}
    gzip = {"accept-encoding": "gzip"}
    r = invoke(binary("hosted-pages"), [api_event("GET", f"/sign-in/{project}", key=False, params={"project": project}),
                                        api_event("GET", "/hosted/app.js", key=False, params={"asset": "app.js"}, headers=gzip)], only())
    assert [x["statusCode"] for x in r["replies"]] == [200, 200], [x["statusCode"] for x in r["replies"]]
    results["hosted-pages"].append(r)
    body = {"redirectUri": "https://app.example.com/back"}
    r = invoke(binary("hosted-authorize"), [api_event("POST", "/v2/hosted/authorizations", body, key=False)] * 2,
               only("GATEHOUSE_JWT_PUBLIC_KEYS_SECRET"))
    assert all(status_body(x)[0] == 401 for x in r["replies"]), r["replies"]
    results["hosted-authorize"].append(r)
    body = {"code": "ghc_" + "a" * 43, "redirectUri": "https://app.example.com/back"}
    r = invoke(binary("hosted-token"), [api_event("POST", "/v2/hosted/token", body)] * 2, only())
    assert all(status_body(x)[0] == 400 for x in r["replies"]), r["replies"]
    results["hosted-token"].append(r)


def main():
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DynamoProxy)
    proxy.daemon_threads = True
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    env = dict(os.environ, AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{proxy.server_address[1]}",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="1024", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_LOG_GROUP_NAME="bench", AWS_LAMBDA_LOG_STREAM_NAME="bench", _HANDLER="bootstrap",
               GATEHOUSE_LOG="warn",
               # Every bench event comes from one documentation IP; per-IP
               # limits would otherwise refuse the later runs.
               GATEHOUSE_LIMIT_SENDS_PER_IP_HOUR="1000000",
               GATEHOUSE_LIMIT_CHECKS_PER_IP_10_MINUTES="1000000",
               GATEHOUSE_LIMIT_FACE_FAILURES_PER_IP="1000000")
    flow = DEMO["projectFlow"]
    # hello-sdk runs without secrets; hello-sdk+secrets is the same binary
    # fetching the three secrets the most-privileged functions read at init
    # (from moto's Secrets Manager here): their difference is what reading
    # secrets at init adds to a cold start.
    no_secrets = {k: v for k, v in env.items() if not k.endswith("_SECRET")}
    only_floor = os.environ.get("BENCH_ONLY_FLOOR") == "1"
    # BENCH_FACE=1: the floor and the face-login functions only (needs the
    # local engine and a flow with face sign-in as BENCH_DEMO's projectFlow).
    face = os.environ.get("BENCH_FACE") == "1"
    # BENCH_HOSTED=1: the floor and the hosted pages' three functions.
    hosted = os.environ.get("BENCH_HOSTED") == "1"
    names = ["hello-floor", "hello-sdk", "hello-sdk+secrets"]
    if face:
        names += ["face-logins-create", "face-logins-validate"]
    elif hosted:
        names += ["hosted-pages", "hosted-authorize", "hosted-token"]
    elif not only_floor:
        names += ["app-logins-create", "app-logins-resend", "app-logins-validate", "app-logins-get", "app-logins-list"]
    # Every other function in BIN_DIR, with a generic request (make bench).
    others = {}
    if not (only_floor or face or hosted):
        others = {name: route for name, route in sorted(routes().items())
                  if name not in names and os.path.exists(os.path.join(BIN_DIR, name, "bootstrap"))}
    names += list(others)
    results = {name: [] for name in names}
    binary = lambda name: os.path.join(BIN_DIR, name, "bootstrap")
    run_id = uuid.uuid4().hex[:8]
    for i in range(RUNS):
        emails = [f"bench-{run_id}-{i}-{j}@example.com" for j in (0, 1)]
        results["hello-floor"].append(invoke(binary("hello-floor"), [api_event("GET", "/"), api_event("GET", "/")], env))
        results["hello-sdk"].append(invoke(binary("hello-sdk"), [api_event("GET", "/"), api_event("GET", "/")], no_secrets))
        results["hello-sdk+secrets"].append(invoke(binary("hello-sdk"), [api_event("GET", "/"), api_event("GET", "/")], env))
        if only_floor:
            print(f"run {i + 1}/{RUNS} done", file=sys.stderr)
            continue
        if face:
            face_run(results, binary, env, flow, emails)
            print(f"run {i + 1}/{RUNS} done", file=sys.stderr)
            continue
        if hosted:
            hosted_run(results, binary, env)
            print(f"run {i + 1}/{RUNS} done", file=sys.stderr)
            continue

        r = invoke(binary("app-logins-create"), [api_event("POST", "/v2/app-logins", {"projectFlow": flow, "email": e}) for e in emails], env)
        ids = []
        for reply in r["replies"]:
            status, body = status_body(reply)
            assert status == 201, (status, body)
            ids.append(body["data"]["appLogin"]["_id"])
        results["app-logins-create"].append(r)

        r = invoke(binary("app-logins-resend"), [api_event("POST", f"/v2/app-logins/{x}/resend", {"type": "email"}, path_id=x, key=False) for x in ids], env)
        assert all(status_body(x)[0] == 200 for x in r["replies"]), r["replies"]
        results["app-logins-resend"].append(r)

        events = [api_event("POST", f"/v2/app-logins/{x}/validate", {"otp": latest_code(e), "type": "email"}, path_id=x, key=False) for x, e in zip(ids, emails)]
        r = invoke(binary("app-logins-validate"), events, env)
        assert all(status_body(x)[0] == 200 for x in r["replies"]), r["replies"]
        results["app-logins-validate"].append(r)

        r = invoke(binary("app-logins-get"), [api_event("GET", f"/v2/app-logins/{x}", query="populates[]=emailValidation", path_id=x) for x in ids], env)
        assert all(status_body(x)[0] == 200 for x in r["replies"]), r["replies"]
        results["app-logins-get"].append(r)

        q = "page=1&populates[]=emailValidation&populates[]=phoneValidation&sort=-createdAt"
        r = invoke(binary("app-logins-list"), [api_event("GET", "/v2/app-logins", query=q)] * 2, env)
        assert all(status_body(x)[0] == 200 for x in r["replies"]), r["replies"]
        results["app-logins-list"].append(r)
        for name, route in others.items():
            generic_run(results, binary, env, name, route)
        print(f"run {i + 1}/{RUNS} done", file=sys.stderr)

    summary = {}
    for name, runs in results.items():
        summary[name] = {
            "init_ms": statistics.median(r["init_ms"] for r in runs),
            "first_ms": statistics.median(r["first_ms"] for r in runs),
            "warm_ms": statistics.median(r["warm_ms"] for r in runs),
            "cold_calls": runs[-1]["calls"][0],
            "warm_calls": runs[-1]["calls"][1],
            "runs": len(runs),
            "status": runs[-1]["replies"][0].get("statusCode"),
        }
    json.dump(summary, sys.stdout, indent=1)


main()
