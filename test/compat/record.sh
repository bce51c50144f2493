#!/bin/bash
# Records the running kernel's verdict on every program of the compatibility corpus:
#   bash test/compat/record.sh [BUILD_DIR]     (as root; BUILD_DIR defaults to ./build)
# Builds the corpus (target compat_progs) and the oracle (bpfjit-compat-oracle), runs the
# oracle on every object and writes test/compat/kernel_verdicts.tsv. Commit the result;
# the compat test reads it and never needs the kernel.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
[ "$(id -u)" = 0 ] || { echo "record.sh: must run as root (it loads programs)" >&2; exit 1; }
cmake --build "$build" --target compat_progs bpfjit-compat-oracle bpfjit-compat-cut-btf
oracle=$(find "$build" -name bpfjit-compat-oracle -type f -perm -u+x | head -n 1)
cut_btf=$(find "$build" -name bpfjit-compat-cut-btf -type f -perm -u+x | head -n 1)
objects=("$build"/bpf-progs/compat/*.o)
# The layouts of the kernel structs the CO-RE programs read, for the test's target BTF.
"$cut_btf" /sys/kernel/btf/vmlinux "$src/test/compat/target.btf" "${objects[@]}"
out=$src/test/compat/kernel_verdicts.tsv
tmp=$(mktemp)
{
  printf '# kernel verdicts of bpf-progs/compat, recorded by test/compat/record.sh\n'
  printf '# kernel %s, libbpf %s, %s\n' "$(uname -r)" \
    "$(dpkg-query -W -f '${Version}' libbpf1 2>/dev/null || echo unknown)" "$(date -u +%F)"
  printf '# object\tprogram\tsection\tkernel\treason\n'
  "$oracle" "${objects[@]}"
} > "$tmp"
mv "$tmp" "$out"
echo "record.sh: $(grep -vc '^#' "$out") programs -> $out" \
  "($(grep -c $'\taccept\t' "$out") accepted, $(grep -c $'\treject\t' "$out") rejected)"
