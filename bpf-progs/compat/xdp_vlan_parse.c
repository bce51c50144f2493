// Datapath-style XDP parser: Ethernet, up to two VLAN tags (802.1Q / 802.1ad), then IPv4
// or IPv6, counting packets per L3 protocol in a BTF-defined per-CPU array.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
  __be16 tci;
  __be16 encap_proto;
};

enum { STAT_IPV4, STAT_IPV6, STAT_OTHER, STAT_MAX };

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, STAT_MAX);
  __type(key, __u32);
  __type(value, __u64);
} l3_stats SEC(".maps");

static __always_inline int is_vlan(__u16 proto) {
  return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

SEC("xdp")
int xdp_vlan_parse(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  __u16 proto = eth->h_proto;
  void *cursor = eth + 1;
#pragma unroll
  for (int i = 0; i < 2; i++) {
    if (!is_vlan(proto)) break;
    struct vlan_hdr *vh = cursor;
    if ((void *)(vh + 1) > data_end) return XDP_DROP;
    proto = vh->encap_proto;
    cursor = vh + 1;
  }
  __u32 key = STAT_OTHER;
  if (proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *iph = cursor;
    if ((void *)(iph + 1) > data_end) return XDP_DROP;
    if (iph->ihl < 5) return XDP_DROP;
    key = STAT_IPV4;
  } else if (proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = cursor;
    if ((void *)(ip6 + 1) > data_end) return XDP_DROP;
    key = STAT_IPV6;
  }
  __u64 *count = bpf_map_lookup_elem(&l3_stats, &key);
  if (count) *count += 1;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
