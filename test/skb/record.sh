#!/bin/bash
# Records the running kernel's BPF_PROG_TEST_RUN answers for the skb programs of bpf-progs:
#   bash test/skb/record.sh [BUILD_DIR]     (as root; BUILD_DIR defaults to ./build)
# Builds the programs and bpfjit-skb-recorder, runs it and writes
# test/skb/kernel_skb_runs.tsv. Commit the result; skb_oracle_tests reads it and never
# needs the kernel.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root (it loads programs)" >&2; exit 1; }
cmake --build "$build" --target bpf_progs bpfjit-skb-recorder
recorder=$(find "$build" -name bpfjit-skb-recorder -type f -perm -u+x | head -n 1)
out=$src/test/skb/kernel_skb_runs.tsv
tmp=$(mktemp)
{
  printf '# BPF_PROG_TEST_RUN answers of the skb programs of bpf-progs, recorded by test/skb/record.sh\n'
  printf '# kernel %s, %s\n' "$(uname -r)" "$(date -u +%F)"
  printf '# object\tprogram\tpacket\tpacket_hex\tctx_in_hex\tresult\tdata_out_hex\tctx_out_hex\tout\n'
  "$recorder" "$build"/bpf-progs/tc_nat.v3.o "$build"/bpf-progs/skb_fields.v3.o \
    "$build"/bpf-progs/skb_resize.v3.o "$build"/bpf-progs/socket_view.v3.o
} > "$tmp"
mv "$tmp" "$out"
echo "record.sh: $(grep -vc '^#' "$out") runs -> $out"
