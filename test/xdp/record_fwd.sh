#!/bin/bash
# Records the kernel's answers to bpf-progs/xdp_fwd.c (bpf_fib_lookup, bpf_check_mtu,
# bpf_redirect_map, bpf_redirect) in a fresh network namespace:
#   bash test/xdp/record_fwd.sh [BUILD_DIR]      (as root)
# The namespace's network, which test/xdp/fwd_oracle_test.cc gives bpfjit too:
#   lo (1, MTU 65536); d2 (2, MTU 1500, 02:00:00:00:00:02, 10.0.2.1);
#   d3 (3, MTU 9000, 02:00:00:00:00:03, 2001:db8:3::1); forwarding on everywhere;
#   10.0.2.0/24 dev d2 metric 5; 10.9.0.0/16 via 10.0.2.254 dev d2 mtu lock 1280 metric 7;
#   blackhole 10.66.0.0/16; 2001:db8:3::/64 dev d3 metric 1024;
#   neighbours 10.0.2.7 aa:00:00:00:00:07 and 10.0.2.254 aa:00:00:00:00:fe on d2,
#   2001:db8:3::9 bb:00:00:00:00:09 on d3.
# Writes test/xdp/fwd_kernel.tsv; commit it.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build}
[ "$(id -u)" = 0 ] || { echo "record_fwd.sh: must run as root" >&2; exit 1; }
cmake --build "$build" --target bpf_progs bpfjit-fwd-record
recorder=$(find "$build" -name bpfjit-fwd-record -type f -perm -u+x | head -n 1)
out=$src/test/xdp/fwd_kernel.tsv
tmp=$(mktemp)
{
  printf '# BPF_PROG_TEST_RUN of bpf-progs/xdp_fwd.c in a fresh netns, recorded by test/xdp/record_fwd.sh\n'
  printf '# kernel %s, %s\n' "$(uname -r)" "$(date -u +%F)"
  printf '# id\tprogram\tctx_in\tdata_in\tretval\tdata_out\tobs\n'
  unshare -n bash -c '
    set -e
    ip link set lo up
    ip link add d2 index 2 type veth peer name p2 index 12
    ip link add d3 index 3 type veth peer name p3 index 13
    ip link set d2 address 02:00:00:00:00:02 mtu 1500 up
    ip link set d3 address 02:00:00:00:00:03 mtu 9000 up
    ip link set p2 up
    ip link set p3 mtu 9000 up
    sysctl -qw net.ipv4.conf.all.forwarding=1 net.ipv6.conf.all.forwarding=1
    ip addr add 10.0.2.1/32 dev d2
    ip -6 addr add 2001:db8:3::1/128 dev d3 nodad
    ip route add 10.0.2.0/24 dev d2 metric 5
    ip route add 10.9.0.0/16 via 10.0.2.254 dev d2 mtu lock 1280 metric 7
    ip route add blackhole 10.66.0.0/16
    ip -6 route add 2001:db8:3::/64 dev d3 metric 1024
    ip neigh add 10.0.2.7 lladdr aa:00:00:00:00:07 dev d2 nud permanent
    ip neigh add 10.0.2.254 lladdr aa:00:00:00:00:fe dev d2 nud permanent
    ip -6 neigh add 2001:db8:3::9 lladdr bb:00:00:00:00:09 dev d3 nud permanent
    "$0" "$1"
  ' "$recorder" "$build/bpf-progs/xdp_fwd.v3.o"
} > "$tmp"
mv "$tmp" "$out"
echo "record_fwd.sh: $(grep -vc '^#' "$out") runs -> $out"
