#!/bin/bash
# Records the running kernel's answers to the xdp test runs of test/xdp/test_run_test.cc:
#   bash test/xdp/record.sh [BUILD_DIR]     (as root; BUILD_DIR defaults to ./build)
# Builds bpf-progs (xdp_adjust.v3.o) and bpfjit-xdp-record, runs every input through the
# kernel's BPF_PROG_TEST_RUN and writes test/xdp/xdp_adjust_kernel.tsv. Commit the result;
# the test reads it and never needs the kernel.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root (it loads programs)" >&2; exit 1; }
cmake --build "$build" --target bpf_progs bpfjit-xdp-record
recorder=$(find "$build" -name bpfjit-xdp-record -type f -perm -u+x | head -n 1)
out=$src/test/xdp/xdp_adjust_kernel.tsv
tmp=$(mktemp)
{
  printf '# BPF_PROG_TEST_RUN of bpf-progs/xdp_adjust.c, recorded by test/xdp/record.sh\n'
  printf '# kernel %s, libbpf %s, %s\n' "$(uname -r)" \
    "$(dpkg-query -W -f '${Version}' libbpf1 2>/dev/null || echo unknown)" "$(date -u +%F)"
  printf '# id\trepeat\tctx_in\tdata_in\tresult\tretval\tdata_out\tctx_out\n'
  "$recorder" "$build/bpf-progs/xdp_adjust.v3.o" xdp_adjust
} > "$tmp"
mv "$tmp" "$out"
echo "record.sh: $(grep -vc '^#' "$out") runs -> $out" \
  "($(grep -c $'\tok\t' "$out") ran, $(grep -vc -e $'\tok\t' -e '^#' "$out") refused)"
