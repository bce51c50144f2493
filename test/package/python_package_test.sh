#!/usr/bin/env bash
# The installed Python package: `cmake --install` to a fresh prefix puts bpfjit under
# <prefix>/PYTHON_DIR; python3 imports it from there (nothing else on its path, no
# $BPFJIT_LIBRARY), it loads the prefix's libbpfjit.so, and runs a program. The prefix is
# then moved: the package still finds its library (the path it holds is relative).
# Usage: python_package_test.sh CMAKE BUILD_DIR WORK_DIR PYTHON PYTHON_DIR OBJECT
# $BPFJIT_PYTHON_PRELOAD (sanitizer builds): LD_PRELOAD for python3.
set -euo pipefail
cmake=$1 build=$2 work=$3 python=$4 pydir=$5 object=$6

rm -rf "$work"
mkdir -p "$work"
fail() { echo "python package test: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.log"
[ -f "$work/prefix/$pydir/bpfjit/__init__.py" ] || fail "no bpfjit package in $pydir"
[ -f "$work/prefix/$pydir/bpfjit/_config.py" ] || fail "no _config.py"

check() {
  local prefix=$1
  (cd "$work" && env -u BPFJIT_LIBRARY -u LD_LIBRARY_PATH PYTHONPATH="$prefix/$pydir" \
     LD_PRELOAD="${BPFJIT_PYTHON_PRELOAD:-}" PYTHONDONTWRITEBYTECODE=1 \
     "$python" - "$prefix" "$object") <<'PY'
import os, sys
prefix, obj_path = sys.argv[1], sys.argv[2]
import bpfjit
real = os.path.realpath
assert real(bpfjit.__file__).startswith(real(prefix) + "/"), bpfjit.__file__
assert real(bpfjit.library_path).startswith(real(prefix) + "/"), bpfjit.library_path
rt = bpfjit.Runtime()
prog = rt.load(obj_path).program("xdp_guard")
for engine in ("interpreter", "jit"):
    telnet = bytes(12) + b"\x08\x00" + bytes([0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0]) \
        + bytes([10, 0, 0, 5, 10, 0, 0, 1]) + bytes([0x9c, 0x40, 0, 23]) + bytes(16)
    res = prog.test_run(telnet, engine=engine)
    assert res.retval == bpfjit.XDP_DROP, (engine, res)
print("imported from", os.path.dirname(bpfjit.__file__), "library", bpfjit.library_path)
PY
}
check "$work/prefix" || fail "the installed package does not work"
mv "$work/prefix" "$work/moved"
check "$work/moved" || fail "the moved prefix does not work"
echo "python package test: ok"
