"""Real resources for the contract run, made through the API itself.

Random ids only ever reach a handler's 404. With these, hooks.py sends part
of the generated requests to things that exist (a login, a registration, a
project, a flow, an API key, an OAuth client), so the fuzzed bodies reach the domain logic.

Usage: fixtures.py BASE_URL DEMO_JSON > fixtures.json
"""

import json
import sys
import urllib.request


def call(base, method, path, key, body=None):
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.load(response)["data"]


def main():
    base, demo_path = sys.argv[1], sys.argv[2]
    with open(demo_path) as f:
        demo = json.load(f)
    key = demo["apiKey"]
    login = call(base, "POST", "/v2/app-logins", key,
                 {"projectFlow": demo["projectFlow"], "email": "contract-login@example.com"})
    registration = call(base, "POST", "/v2/app-registrations", key,
                        {"projectFlow": demo["onboardingFlow"], "email": "contract-enrollee@example.com",
                         "firstName": "Con", "lastName": "Tract"})
    project = call(base, "POST", "/v2/projects", key, {"name": "Contract project"})
    flow = call(base, "POST", "/v2/project-flows", key,
                {"project": project["_id"], "name": "Contract flow", "type": "login"})
    spare_key = call(base, "POST", "/v2/api-keys", key)
    oauth_client = call(base, "POST", "/v2/oauth-clients", key,
                        {"project": demo["project"], "login_flow": demo["projectFlow"], "client_name": "Contract RP",
                         "client_type": "confidential", "redirect_uris": ["https://app.example.com/callback"]})
    json.dump({
        "loginFlow": demo["projectFlow"],
        "project": demo["project"],
        "onboardingFlow": demo["onboardingFlow"],
        "faceLoginFlow": demo["faceLoginFlow"],
        "ids": {
            "/v2/app-logins/": login["appLogin"]["_id"],
            "/v2/app-registrations/": registration["appRegistration"]["_id"],
            "/v2/projects/": project["_id"],
            "/v2/project-flows/": flow["_id"],
            "/v2/api-keys/": spare_key["prefix"],
            "/v2/oauth-clients/": oauth_client["client_id"],
        },
    }, sys.stdout)


if __name__ == "__main__":
    main()
