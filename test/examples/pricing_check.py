#!/usr/bin/env python3
"""Runs example_pricing (the host-defined "pricing" program type) over a generated table
and orders, and checks every priced order, every metric the program emitted and the
verifier's refusals of the programs that break the type's context rules.

usage: pricing_check.py PRICING_EXE PRICING_OBJ REFUSED1_OBJ REFUSED2_OBJ REFUSED3_OBJ WORKDIR
"""
import random
import subprocess
import sys
from pathlib import Path


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    exe, obj, workdir = sys.argv[1], sys.argv[2], sys.argv[6]
    refused = sys.argv[3:6]
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    prices = {item: rng.randrange(1, 100000) for item in range(1, 21)}
    discounts = {user: rng.choice([0, 5, 10, 50, 100, 150]) for user in range(1, 31, 2)}
    orders = [(rng.randrange(1, 31), rng.randrange(1, 26),
               rng.choice([0, 1, 2, 7, 1000, 1001, rng.randrange(1, 1001)]))
              for _ in range(400)]
    lines = ["# host table"]
    lines += ["price {} {}".format(i, p) for i, p in prices.items()]
    lines += ["discount {} {}".format(u, d) for u, d in discounts.items()]
    lines += ["order {} {} {}".format(*o) for o in orders]
    (work / "orders.txt").write_text("\n".join(lines) + "\n")

    expected = []
    for user, item, qty in orders:
        head = "order {} {} {}: ".format(user, item, qty)
        if item not in prices:
            expected += [head + "unknown_item", "  metric unknown_item {}".format(item)]
        elif qty == 0 or qty > 1000:
            expected.append(head + "bad_quantity")
        else:
            d = discounts.get(user, 0)
            d = d if d <= 100 else 0
            total = prices[item] * qty * (100 - d) // 100
            expected += [head + "ok total {} discount {}".format(total, d),
                         "  metric order_total {}".format(total)]
    # Context accesses the type forbids are refused when the object is loaded; a helper
    # argument its prototype forbids, when the program is prepared (verified).
    expected += [
        "refused at load: load error: insn 1: program write_user_id: ctx store of 4 "
        "bytes at offset 0: field user_id is read-only",
        "refused at load: load error: insn 0: program read_host_handle: ctx load of 8 "
        "bytes at offset 24: no field of program type pricing is there",
        "refused at prepare: verifier error: insn 6: program ctx_as_key: call 1000: invalid "
        "helper argument: arg1 (r1) must point to memory, it is a ctx",
    ]

    run = subprocess.run([exe, obj, str(work / "orders.txt")] + refused, capture_output=True,
                         text=True, timeout=60)
    if run.returncode != 0:
        fail("exit {}: {}".format(run.returncode, run.stderr))
    got = run.stdout.splitlines()
    for i, (g, e) in enumerate(zip(got, expected)):
        if g != e:
            fail("line {}: got {!r}, expected {!r}".format(i + 1, g, e))
    if len(got) != len(expected):
        fail("{} lines, expected {}".format(len(got), len(expected)))

    # A bad input line is named and the example exits 1.
    (work / "bad.txt").write_text("price 1 100\norder 1 1\n")
    run = subprocess.run([exe, obj, str(work / "bad.txt")], capture_output=True, text=True,
                         timeout=60)
    if run.returncode != 1 or "line 2: expected 'order USER ITEM QUANTITY'" not in run.stderr:
        fail("bad input: exit {}, stderr {!r}".format(run.returncode, run.stderr))
    print("ok: {} orders, {} output lines".format(len(orders), len(got)))


if __name__ == "__main__":
    main()
