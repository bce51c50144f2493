#!/usr/bin/env python3
"""Runs example_policy_service over generated requests with a reload in the middle and
checks its output against decisions recomputed here from the policy's rules.

usage: policy_check.py SERVICE POLICY_V1 POLICY_V2 WORKDIR
"""
import ipaddress
import random
import subprocess
import sys
from pathlib import Path

REQUESTS = 20000
RELOAD_AFTER = 8000
QUEUE = 64
WORKERS = 4
PATH_MAX = 47  # policy_request.path keeps 47 bytes and a NUL


def net(cidr):
    return ipaddress.ip_network(cidr)


def decide(version, ip, path, method, size):
    """The rules of policy.bpf.c, as its header comment states them: (allowed, reason)."""
    addr = ipaddress.ip_address(ip)
    path = path[:PATH_MAX]
    if addr in net("10.66.0.0/16"):
        return False, "blocked_net"
    if version == 1:
        if path.startswith("/admin") and method != "GET":
            return False, "admin"
        if size > 1 << 20:
            return False, "too_large"
    else:
        if addr in net("192.168.13.0/24"):
            return False, "blocked_net"
        if method == "DELETE":
            return False, "method"
        if path.startswith("/admin") and addr not in net("10.0.0.0/8"):
            return False, "admin"
        if size > 64 << 10:
            return False, "too_large"
    return True, "allowed"


def generate(rng):
    ips = ["10.66.{}.{}", "192.168.13.{1}", "192.168.14.{1}", "10.1.{}.{}", "172.16.{}.{}",
           "203.0.113.{1}"]
    paths = ["/", "/index.html", "/api/items", "/admin", "/admin/users", "/adminx", "/admi",
             "/static/app.js", "/admin/" + "x" * 60, "/" + "a" * 46 + "/admin"]
    sizes = [0, 1, 512, 65535, 65536, 65537, 1 << 20, (1 << 20) + 1, 5 << 20]
    lines = []
    for i in range(REQUESTS):
        ip = rng.choice(ips).format(rng.randrange(256), rng.randrange(1, 255))
        size = rng.choice(sizes) if rng.random() < 0.5 else rng.randrange(2 << 20)
        lines.append((1000 + i, ip, rng.choice(paths),
                      rng.choice(["GET", "GET", "POST", "PUT", "DELETE"]), size))
    return lines


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    service, v1, v2, workdir = sys.argv[1:5]
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    reqs = generate(random.Random(7))
    req_file = work / "requests.txt"
    req_file.write_text("# id client_ip path method bytes\n" +
                        "".join("{} {} {} {} {}\n".format(*r) for r in reqs))

    cmd = [service, "--policy", v1, "--reload", v2, "--reload-after", str(RELOAD_AFTER),
           "--workers", str(WORKERS), "--queue", str(QUEUE), str(req_file)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        fail("exit {}: {}".format(run.returncode, run.stderr))

    by_id = {r[0]: (pos, r) for pos, r in enumerate(reqs)}
    seen = set()
    reasons, versions, allowed_bytes = {}, {}, 0
    summary = {}
    for line in run.stdout.splitlines():
        f = line.split()
        if line.startswith("#"):
            summary[" ".join(f[1:-1])] = f[-1]
            continue
        rid, ver, verdict, reason = int(f[0]), int(f[1][1:]), f[2], f[3]
        if rid not in by_id:
            fail("unknown request id {}".format(rid))
        if rid in seen:
            fail("request {} decided twice".format(rid))
        seen.add(rid)
        pos, (_, ip, path, method, size) = by_id[rid]
        # Requests read after the reload began run v2; those taken before the reader
        # reached it (all but the last QUEUE before it) run v1.
        if pos >= RELOAD_AFTER and ver != 2:
            fail("request {} (position {}) after the reload was decided by v{}".format(rid, pos, ver))
        if pos < RELOAD_AFTER - QUEUE and ver != 1:
            fail("request {} (position {}) before the reload was decided by v{}".format(rid, pos, ver))
        want = decide(ver, ip, path, method, size)
        got = (verdict == "allow", reason)
        if got != want:
            fail("request {} ({} {} {} {}) by v{}: got {}, expected {}".format(
                rid, ip, path, method, size, ver, got, want))
        reasons[reason] = reasons.get(reason, 0) + 1
        versions[ver] = versions.get(ver, 0) + 1
        if got[0]:
            allowed_bytes += size
    if len(seen) != len(reqs):
        fail("{} of {} requests decided".format(len(seen), len(reqs)))
    if summary.get("requests") != str(len(reqs)):
        fail("summary says {} requests".format(summary.get("requests")))
    for reason, n in reasons.items():
        if summary.get("reason " + reason) != str(n):
            fail("counter of {} is {}, {} lines".format(reason, summary.get("reason " + reason), n))
    if sum(int(v) for k, v in summary.items() if k.startswith("reason ")) != len(reqs):
        fail("the reason counters do not add up to {}".format(len(reqs)))
    for ver, n in versions.items():
        if summary.get("decided_by v{}".format(ver)) != str(n):
            fail("decided_by v{} is {}, {} lines".format(ver, summary.get("decided_by v%d" % ver), n))
    if set(versions) != {1, 2}:
        fail("versions seen: {}".format(sorted(versions)))
    if summary.get("allowed_bytes") != str(allowed_bytes):
        fail("allowed_bytes {} != {}".format(summary.get("allowed_bytes"), allowed_bytes))

    # Errors: a bad line is named, and the service exits 1.
    bad = work / "bad.txt"
    bad.write_text("1 10.1.1.1 / GET 1\n2 10.1.1.1 / GET 1\n3 10.1.1.999 / GET 1\n")
    run = subprocess.run([service, "--policy", v1, str(bad)], capture_output=True, text=True,
                         timeout=60)
    if run.returncode != 1 or "line 3: bad IPv4 address '10.1.1.999'" not in run.stderr:
        fail("bad input: exit {}, stderr {!r}".format(run.returncode, run.stderr))
    run = subprocess.run([service, "--policy", str(work / "missing.o"), str(req_file)],
                         capture_output=True, text=True, timeout=60)
    if run.returncode != 1 or "cannot open" not in run.stderr:
        fail("missing policy: exit {}, stderr {!r}".format(run.returncode, run.stderr))
    print("ok: {} requests, v1 {} v2 {}, reasons {}".format(
        len(reqs), versions.get(1), versions.get(2), dict(sorted(reasons.items()))))


if __name__ == "__main__":
    main()
