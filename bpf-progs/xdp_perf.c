/* XDP packet sampling through a perf_event_array: every IPv4 or IPv6 packet is reported
 * to the current CPU's buffer (BPF_F_CURRENT_CPU) with its length, EtherType, protocol
 * and the first bytes of its network header; the helper's answers are counted (slot 0:
 * sent, 1: failed, 2: the last error). Returns XDP_PASS when the event was sent, XDP_DROP
 * when the helper failed. */
#include "bpfjit_net.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 3);
  __type(key, __u32);
  __type(value, __u64);
} outcome SEC(".maps");

struct sample {
  __u32 len;
  __u16 ethertype;
  __u8 proto;
  __u8 head_len;
  __u8 head[24];
};

static __always_inline void count(__u32 slot, __u64 v, int add) {
  __u64 *p = bpf_map_lookup_elem(&outcome, &slot);
  if (!p) return;
  if (add) __sync_fetch_and_add(p, v);
  else *p = v;
}

SEC("xdp")
int xdp_perf(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_ABORTED;
  struct sample s = {};
  /* the length in 64 bits: bpfjit refuses the 32-bit copy of a packet pointer clang
   * would otherwise make of data_end (the kernel lets root do it) */
  __u64 len = (__u64)(data_end - data);
  asm volatile("" : "+r"(len));
  s.len = len;
  s.ethertype = bpf_htons(eth->h_proto);
  __u8 *net = (void *)(eth + 1);
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)net;
    if ((void *)(ip + 1) > data_end) return XDP_PASS;
    s.proto = ip->protocol;
  } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)net;
    if ((void *)(ip6 + 1) > data_end) return XDP_PASS;
    s.proto = ip6->nexthdr;
  } else {
    return XDP_PASS;
  }
  for (int i = 0; i < 24; ++i) {
    if ((void *)(net + i + 1) > data_end) break;
    s.head[i] = net[i];
    s.head_len = i + 1;
  }
  long rc = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &s, sizeof(s));
  if (rc == 0) {
    count(0, 1, 1);
    return XDP_PASS;
  }
  count(1, 1, 1);
  count(2, (__u64)rc, 0);
  return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
