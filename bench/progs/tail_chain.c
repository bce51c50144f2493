/* A tail-call chain over a packet: the entry program parses Ethernet/IPv4 and jumps to a
 * per-protocol stage (slot 1 TCP, 2 UDP), which jumps to a common accounting stage
 * (slot 3) that counts the packet in an array map by protocol and decides the verdict.
 * Three programs run per TCP/UDP packet. */
#include "bench_prog.h"

BENCH_PROG_ARRAY(stages, 4);
BENCH_MAP(counts, BPF_MAP_TYPE_ARRAY, __u32, __u64, 8);

static __always_inline void count(__u32 slot) {
  __u64 *v = bpf_map_lookup_elem(&counts, &slot);
  if (v) __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int tail_entry(struct xdp_md *ctx) {
  struct iphdr *ip = bench_ipv4(ctx);
  if (!ip) return XDP_PASS;
  count(0);
  __u32 slot = ip->protocol == IPPROTO_TCP ? 1 : ip->protocol == IPPROTO_UDP ? 2 : 0;
  BENCH_TAIL_CALL(ctx, &stages, slot);
  count(7); /* no stage: other protocols */
  return XDP_PASS;
}

SEC("xdp/tcp")
int tail_tcp(struct xdp_md *ctx) {
  count(1);
  BENCH_TAIL_CALL(ctx, &stages, 3);
  return XDP_ABORTED;
}

SEC("xdp/udp")
int tail_udp(struct xdp_md *ctx) {
  count(2);
  BENCH_TAIL_CALL(ctx, &stages, 3);
  return XDP_ABORTED;
}

SEC("xdp/account")
int tail_account(struct xdp_md *ctx) {
  struct iphdr *ip = bench_ipv4(ctx);
  if (!ip) return XDP_ABORTED;
  count(3);
  if (ip->ttl < 32) {
    count(4);
    return XDP_DROP;
  }
  return XDP_PASS;
}

BENCH_NATIVE_MAPS(tail_chain, &stages, &counts);
BENCH_NATIVE_FNS(tail_chain, BENCH_FN(tail_entry), BENCH_FN(tail_tcp), BENCH_FN(tail_udp),
                 BENCH_FN(tail_account));
BENCH_LICENSE;
