"""Fixtures of the pytest example: xdp_guard loaded once per engine, fresh for each test.

The object is $XDP_GUARD_OBJECT (the test command sets it to the build's
examples/xdp_guard.o); the bpfjit package comes from PYTHONPATH (the build's python/
directory, or an installed prefix's lib/python3/dist-packages)."""
import logging
import os

# scapy: no warnings about routes or interfaces, no network use (packets are only built and
# parsed here, never sent).
logging.getLogger("scapy").setLevel(logging.ERROR)

import pytest  # noqa: E402

import bpfjit  # noqa: E402

OBJECT = os.environ.get("XDP_GUARD_OBJECT", "xdp_guard.o")


@pytest.fixture(params=["interpreter", "jit"])
def guard(request):
    """(program, object) of a freshly loaded xdp_guard, prepared on one engine."""
    with bpfjit.Runtime() as rt:
        obj = rt.load(OBJECT)
        prog = obj.program("xdp_guard")
        prog.prepare(request.param)
        yield prog, obj
