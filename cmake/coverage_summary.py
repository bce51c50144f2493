#!/usr/bin/env python3
"""Line and branch coverage per directory, from gcovr's --json-summary (run-coverage.sh)."""
import json
import sys

# (label, path prefix): the first prefix that matches a file names its row.
AREAS = [
    ("isa", "runtime/isa/"),
    ("interpreter", "runtime/interp/"),
    ("loader", "runtime/loader/"),
    ("runtime (api, capi, engine, cli)", "runtime/"),
    ("helpers", "helpers/"),
    ("verifier", "verifier/"),
    ("jit", "jit/"),
]


def main(path):
    with open(path) as f:
        files = json.load(f)["files"]
    rows = {label: [0, 0, 0, 0] for label, _ in AREAS}
    for entry in files:
        name = entry["filename"]
        for label, prefix in AREAS:
            if name.startswith(prefix):
                r = rows[label]
                r[0] += entry["line_covered"]
                r[1] += entry["line_total"]
                r[2] += entry["branch_covered"]
                r[3] += entry["branch_total"]
                break
    pct = lambda a, b: f"{100.0 * a / b:5.1f}%" if b else "   n/a"
    print(f"{'directory':34} {'lines':>22} {'branches':>22}")
    for label, _ in AREAS:
        lc, lt, bc, bt = rows[label]
        if lt == 0:
            continue
        print(f"{label:34} {pct(lc, lt)} {lc:7}/{lt:<7} {pct(bc, bt)} {bc:7}/{bt:<7}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build-cov/coverage/summary.json")
