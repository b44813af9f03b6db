#!/usr/bin/env python3
"""The table of scripts/bench/ab.sh: median init (exec to the first
runtime poll) per round, median first event, and DynamoDB calls."""
import json
import statistics
import sys

out, rev = sys.argv[1], sys.argv[2]
runs = {(side, r): json.load(open(f"{out}/{side}-{r}.json")) for side in ("old", "new") for r in (1, 2)}
print(f"| binary | init ms, {rev} (round 1 / 2) | init ms, working tree (round 1 / 2) | first event ms, {rev} / working tree | DynamoDB calls, cold + warm |")
print("|---|---:|---:|---:|---|")
for name in runs[("old", 1)]:
    old = [runs[("old", r)][name] for r in (1, 2)]
    new = [runs[("new", r)][name] for r in (1, 2)]
    same = all(o["cold_calls"] == n["cold_calls"] and o["warm_calls"] == n["warm_calls"] for o, n in zip(old, new))
    calls = len(new[1]["cold_calls"]) + len(new[1]["warm_calls"])
    print(
        f"| {name} | {old[0]['init_ms']:.1f} / {old[1]['init_ms']:.1f} | {new[0]['init_ms']:.1f} / {new[1]['init_ms']:.1f} "
        f"| {statistics.mean(o['first_ms'] for o in old):.1f} / {statistics.mean(n['first_ms'] for n in new):.1f} "
        f"| {calls}, {'same' if same else 'DIFFERENT'} |"
    )
