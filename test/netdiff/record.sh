#!/bin/bash
# Records the running kernel's BPF_PROG_TEST_RUN answers for every networking program of
# the objects in test/netdiff/netdiff.c on the generated packets:
#   bash test/netdiff/record.sh [BUILD_DIR]     (as root; BUILD_DIR defaults to ./build)
# Builds the programs and bpfjit-netdiff-record, runs it and writes
# test/netdiff/kernel_runs.tsv. Commit the result; netdiff_tests reads it and never needs
# the kernel. To see the kernel's full answer for one run (a mismatch the test reports):
#   BUILD/bin/bpfjit-netdiff-record BUILD/bpf-progs --show OBJECT PROGRAM PACKET
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root (it loads programs)" >&2; exit 1; }
cmake --build "$build" --target bpf_progs compat_progs bpfjit-netdiff-record
recorder=$(find "$build" -name bpfjit-netdiff-record -type f -perm -u+x | head -n 1)
out=$src/test/netdiff/kernel_runs.tsv
tmp=$(mktemp)
{
  printf '# BPF_PROG_TEST_RUN answers of the networking programs of bpf-progs, recorded by test/netdiff/record.sh\n'
  printf '# kernel %s, %s\n' "$(uname -r)" "$(date -u +%F)"
  printf '# @\tobject:program, then per packet: packet\tresult\tdata_out\tctx_out\tmaps\n'
  "$recorder" "$build"/bpf-progs
} > "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$out"
echo "record.sh: $(grep -vc '^#' "$out") runs -> $out"
