/* A tail-call dispatcher: the entry program parses Ethernet/IPv4 and jumps through a
 * prog_array to a per-protocol handler (slot = the IP protocol number). The handlers count
 * into an array map and decide the verdict; a missing slot falls through to XDP_PASS. */
#include "bpfjit_net.h"

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 32);
  __type(key, __u32);
  __type(value, __u32);
} handlers SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
} hits SEC(".maps");

static __always_inline void hit(__u32 slot) {
  __u64 *v = bpf_map_lookup_elem(&hits, &slot);
  if (v) __sync_fetch_and_add(v, 1);
}

static __always_inline struct iphdr *ipv4_of(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return 0;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return 0;
  return ip;
}

SEC("xdp")
int dispatch(struct xdp_md *ctx) {
  struct iphdr *ip = ipv4_of(ctx);
  if (!ip) return XDP_PASS;
  hit(0);
  bpf_tail_call(ctx, &handlers, ip->protocol & 31);
  hit(3); /* no handler for this protocol */
  return XDP_PASS;
}

SEC("xdp/tcp")
int handle_tcp(struct xdp_md *ctx) {
  hit(1);
  struct iphdr *ip = ipv4_of(ctx);
  if (!ip) return XDP_ABORTED;
  return ip->ttl < 16 ? XDP_DROP : XDP_PASS;
}

SEC("xdp/udp")
int handle_udp(struct xdp_md *ctx) {
  hit(2);
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
