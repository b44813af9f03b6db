"""Turns the bench outputs into one table: prints it and writes BENCHMARKS.md.

usage: report.py COLD_JSON CRITERION_DIR X86_LAMBDA_DIR ARM_LAMBDA_DIR TEMPLATE OUT_MD
"""
import glob
import json
import os
import platform
import re
import subprocess
import sys

cold_path, criterion_dir, x86_dir, arm_dir, template_path, out_path = sys.argv[1:7]
cold = json.load(open(cold_path))
template = open(template_path).read()

# Public unit prices, us-east-1, read from the AWS pricing pages; change them
# here if yours differ.
PRICE = {
    "lambda_arm_gb_s": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "http_api_request": 1.00 / 1e6,
    "ddb_wru": 0.625 / 1e6,
    "ddb_rru": 0.125 / 1e6,
    "ses_email": 0.10 / 1000,
    "sns_sms_us": 0.00581,
}
# Lambda gives one full vCPU at 1769 MB; below that CPU scales down.
FULL_VCPU_MB = 1769


GENERATED = ("## Cold start", "## Warm handler cost", "## Binary size", "## Memory sizes", "## Cost per 1M logins")


def kept_sections(path):
    """The sections of the existing file that this script does not write."""
    try:
        old = open(path).read()
    except FileNotFoundError:
        return []
    sections = re.split(r"(?m)^(?=## )", old)[1:]
    return [s.rstrip("\n") + "\n\n" for s in sections if not s.startswith(GENERATED)]


def default_param(name):
    match = re.search(rf"{name}:\n(?:\s+\w+:.*\n)*?\s+Default: (\d+)", template)
    return int(match.group(1)) if match else None


def function_memory():
    """Each binary's MemorySize in template.yaml: a number, or a parameter's
    default."""
    found = {}
    for block in re.split(r"(?m)^  (?=\w+:\n    Type: AWS::Serverless::Function)", template)[1:]:
        binary = re.search(r"Binary: ([\w-]+)", block)
        size = re.search(r"MemorySize: (!Ref (\w+)|\d+)", block)
        if binary and size:
            found[binary.group(1)] = default_param(size.group(2)) if size.group(2) else int(size.group(1))
    return found


memory = function_memory()


def criterion():
    rows = {}
    for bench in glob.glob(os.path.join(criterion_dir, "**", "new", "benchmark.json"), recursive=True):
        meta = json.load(open(bench))
        estimates = json.load(open(os.path.join(os.path.dirname(bench), "estimates.json")))
        rows[meta["full_id"]] = estimates["median"]["point_estimate"] / 1e6  # ms
    return rows


def size_mb(directory, name):
    path = os.path.join(directory, name, "bootstrap")
    return os.path.getsize(path) / 1e6 if os.path.exists(path) else float("nan")


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


floor = cold["hello-floor"]
lines = []
say = lines.append
say("# Benchmarks")
say("")
say(f"Made by `make bench` on {platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu()}), "
    f"{subprocess.run(['rustc', '--version'], capture_output=True, text=True).stdout.strip()}. "
    "Local DynamoDB Local and moto stand in for AWS, so absolute times are this machine's; "
    "ratios and call counts carry over. Figures are medians.")
say("")
say(f"## Cold start ({floor['runs']} runs per function, release build, x86_64)")
say("")
say("A fake Lambda Runtime API on loopback starts each binary as Lambda does. `init` is exec to the first "
    "`/runtime/invocation/next` poll; `first` is exec to the answer of a first real API Gateway v2 event; "
    "`warm` is a second event in the same process. DynamoDB calls come from a counting proxy in front of "
    "DynamoDB Local (cold event / warm event).")
say("")
say("`hello-sdk` is the floor plus what every Gatehouse function builds at init (AWS config, one DynamoDB "
    "client with its HTTPS stack): the gap between it and the floor is the SDK's share of every function's init. "
    "`hello-sdk+secrets` is the same binary reading the three secrets (pepper, signing key, public keys) from "
    "Secrets Manager at init, as the code functions do (moto here; on AWS add one TLS connection to Secrets Manager): "
    "its gap to `hello-sdk` is what keeping secrets out of the function configuration costs a cold start.")
say("")
say("The first eight rows run each login function's real path (a code sent, resent, checked, read, listed). "
    "Every other function then answers a generic request, the same twice: its route with the tenant's API key, "
    "an id nobody has in the path and `{}` as a write's body. Reads answer for real (an empty list, a 404), writes "
    "their 400 naming what is missing; `answer` is that status. Their init and × floor are what the trust store "
    "and secrets decide; their first and warm are the parse, auth and first storage path, not a success path "
    "(BENCHMARKS sections below measure those for identity, face login and the hosted pages).")
say("")
say("| function | init ms | × floor | first event ms | warm ms | answer | DynamoDB calls cold | warm | memory MB |")
say("|---|---:|---:|---:|---:|---:|---|---|---:|")
for name, r in cold.items():
    ratio = r["init_ms"] / floor["init_ms"]
    say(f"| {name} | {r['init_ms']:.1f} | {ratio:.2f} | {r['first_ms']:.1f} | {r['warm_ms']:.2f} | {r.get('status', '–')} | "
        f"{', '.join(r['cold_calls']) or '–'} | {', '.join(r['warm_calls']) or '–'} | {memory.get(name) or '–'} |")
say("")
functions = [r for n, r in cold.items() if not n.startswith("hello-")]
worst = max(functions, key=lambda r: r["init_ms"]) if functions else None
if worst:
    over = [n for n, r in cold.items() if not n.startswith("hello-") and r["init_ms"] > 1.5 * floor["init_ms"]]
    say(f"{len(functions)} functions; the slowest init is {worst['init_ms'] / floor['init_ms']:.2f}× the floor; "
        f"over 1.5×: {', '.join(over) or 'none'}.")
    say("")
crit = criterion()
say("## Warm handler cost (Criterion, in-memory ports)")
say("")
say("Event JSON in, response out: parsing, API-key check, domain logic, rendering. The create and validate "
    "rows include one bcrypt at cost 4 (its floor, shown below) so the rest stays visible.")
say("")
say("| benchmark | median ms |")
say("|---|---:|")
for key in sorted(crit):
    say(f"| {key} | {crit[key]:.3f} |")
say("")
say("## Binary size (release, stripped)")
say("")
say("| function | arm64 MB | x86_64 MB |")
say("|---|---:|---:|")
for name in cold:
    if name.endswith("+secrets"):
        continue
    say(f"| {name} | {size_mb(arm_dir, name):.2f} | {size_mb(x86_dir, name):.2f} |")
say("")

verify_ms = crit.get("bcrypt/verify cost 10")
if verify_ms:
    say("## Memory sizes")
    say("")
    say(f"bcrypt at cost 10 takes {verify_ms:.1f} ms of one full core here, and Lambda gives a full vCPU only at "
        f"{FULL_VCPU_MB} MB. The code functions (create, resend, validate) hash or verify once per request:")
    say("")
    say("| memory MB | vCPU share | bcrypt ms | GB-s per bcrypt |")
    say("|---:|---:|---:|---:|")
    for mb in (256, 512, 1024, 1769):
        share = min(1.0, mb / FULL_VCPU_MB)
        ms = verify_ms / share
        say(f"| {mb} | {share:.2f} | {ms:.0f} | {ms / 1000 * mb / 1024:.4f} |")
    say("")
    say("CPU-bound work costs the same GB-s at any size up to a full vCPU, so a small function only makes the "
        "user wait; but time spent waiting on SES, SNS or DynamoDB is billed per MB. 1024 MB keeps bcrypt under "
        "about 100 ms while the I/O wait of create (an SES or SNS call) stays cheap; it is the template default "
        "(`CodeFunctionMemory`). Get and list do well under a millisecond of CPU per request "
        "(Criterion figures above), so 256 MB (`ReadFunctionMemory`) is plenty.")
    say("")

# Cost model. Lambda time: the warm local duration, scaled by the CPU share
# of the function's memory (CPU-bound work such as bcrypt slows by that
# factor; I/O waits do not, so this overestimates).
def lambda_cost(name):
    mb = memory[name]
    ms = cold[name]["warm_ms"] * max(1.0, FULL_VCPU_MB / mb)
    billed_ms = max(1, round(ms))
    return billed_ms, billed_ms / 1000 * mb / 1024 * PRICE["lambda_arm_gb_s"] + PRICE["lambda_request"]

# Write units per login (items under 2 KB; transactions cost double):
# create = login (2) + pointer (1) + the identifier, IP and flow limit
#   counters (3), transactional -> 12 WRU; an SMS login also charges the
#   phone-prefix counter and the flow's SMS tally (+2) -> 16 WRU;
# validate = per-IP check counter (1) + attempt count UpdateItem (2) +
#   transaction: login (2) + pointer delete (1) -> 1 + 2 + 6 = 9 WRU; an SMS
#   login also moves the SMS tally's verified count in it (+1) -> 11 WRU.
# The list indexes (all attributes projected) copy the login item's writes:
# gsi1 each of the three (3 x 2 WRU); gsi2, the status index, the create and
# the attempt count (2 x 2) and, as the success moves the login to another
# status partition, a delete and a put there (2 x 2): 14 WRU, either channel.
WRU_LIST_INDEX = 3 * 2 + 4 * 2
WRU_EMAIL_LOGIN = 12 + 9 + WRU_LIST_INDEX
WRU_SMS_LOGIN = 16 + 11 + WRU_LIST_INDEX
create_ms, create_cost = lambda_cost("app-logins-create")
validate_ms, validate_cost = lambda_cost("app-logins-validate")
base = create_cost + validate_cost + 2 * PRICE["http_api_request"]
email = base + WRU_EMAIL_LOGIN * PRICE["ddb_wru"] + PRICE["ses_email"]
sms = base + WRU_SMS_LOGIN * PRICE["ddb_wru"] + PRICE["sns_sms_us"]
say("## Cost per 1M logins (us-east-1 list prices, arm64)")
say("")
say(f"A login is one create and one validate: Lambda (create {create_ms} ms and validate {validate_ms} ms billed at "
    f"{memory['app-logins-create']} MB, from the warm figures scaled to the CPU share of that memory), two HTTP API "
    f"requests, {WRU_EMAIL_LOGIN} DynamoDB write units for an email login or {WRU_SMS_LOGIN} for an SMS one "
    f"(on-demand, {WRU_LIST_INDEX} of them the list indexes' copies of the login; the abuse-limit counters are "
    "most of the difference from the login's own items), and one "
    "message. API keys, flows and projects are cached per container, so their reads round to zero; an SMS "
    "create also reads the flow's SMS tally (one strongly consistent read, one read unit, left out).")
say("")
say("| part | email login | SMS login (US) |")
say("|---|---:|---:|")
say(f"| Lambda (GB-s + requests) | ${(create_cost + validate_cost) * 1e6:,.2f} | ${(create_cost + validate_cost) * 1e6:,.2f} |")
say(f"| API Gateway HTTP API | ${2 * PRICE['http_api_request'] * 1e6:,.2f} | ${2 * PRICE['http_api_request'] * 1e6:,.2f} |")
say(f"| DynamoDB on-demand | ${WRU_EMAIL_LOGIN * PRICE['ddb_wru'] * 1e6:,.2f} | ${WRU_SMS_LOGIN * PRICE['ddb_wru'] * 1e6:,.2f} |")
say(f"| SES / SNS | ${PRICE['ses_email'] * 1e6:,.2f} | ${PRICE['sns_sms_us'] * 1e6:,.2f} |")
say(f"| **total** | **${email * 1e6:,.2f}** | **${sms * 1e6:,.2f}** |")
say("")
say("Unit prices used: " + ", ".join(f"{k} = {v:.10g}" for k, v in PRICE.items()) + ". SMS prices vary by "
    "country and carrier fees are extra.")
text = "\n".join(lines) + "\n"
# Hand-written sections of the old file (one-off comparisons such as
# scripts/bench/ab.sh's) stay, after the cold-start table.
text = text.replace("## Warm handler cost", "".join(kept_sections(out_path)) + "## Warm handler cost", 1)
open(out_path, "w").write(text)
print(text)
