"""Starts every function behind `cargo lambda watch` once, one at a time,
before the suite: a first request to a function that is still starting can
be answered 500 by watch itself while several start at once (seen in the
contract run). Each route from the root Cargo.toml's router gets one
unauthenticated request; whatever it answers, the function is then up.

    python3 scripts/warm_functions.py http://127.0.0.1:PORT
"""

import sys
import tomllib
import urllib.error
import urllib.request

base = sys.argv[1].rstrip("/")
with open("Cargo.toml", "rb") as f:
    router = tomllib.load(f)["workspace"]["metadata"]["lambda"]["watch"]["router"]
warmed = set()
for path, routes in router.items():
    for route in routes:
        function = route["function"]
        if function in warmed:
            continue
        warmed.add(function)
        request = urllib.request.Request(base + path.replace("{id}", "warmup"), method=route["method"])
        if route["method"] in ("POST", "PUT"):
            request.data = b"{}"
            request.add_header("Content-Type", "application/json")
        try:
            urllib.request.urlopen(request, timeout=180).read()
        except urllib.error.HTTPError:
            pass
print(f"warm_functions: {len(warmed)} functions started")
