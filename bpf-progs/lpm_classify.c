/* An XDP classifier on longest-prefix matches: the destination of IPv4 and IPv6 packets
 * (behind at most one 802.1Q tag) is looked up in an lpm_trie of its family, which the
 * host fills; the class found (0 when no prefix matches) picks the verdict and is counted
 * with the packet's bytes in an array.
 *   class 0: XDP_PASS; 1: XDP_DROP; 2: XDP_TX; other: XDP_PASS. */
#include "bpfjit_net.h"

struct v4_key {
  __u32 prefixlen;
  __u8 addr[4];
};

struct v6_key {
  __u32 prefixlen;
  __u8 addr[16];
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 32);
  __type(key, struct v4_key);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} routes4 SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 32);
  __type(key, struct v6_key);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} routes6 SEC(".maps");

struct class_stats {
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, struct class_stats);
} classes SEC(".maps");

static __always_inline int verdict(__u32 cls, __u64 bytes) {
  __u32 slot = cls & 7;
  struct class_stats *st = bpf_map_lookup_elem(&classes, &slot);
  if (st) {
    __sync_fetch_and_add(&st->packets, 1);
    __sync_fetch_and_add(&st->bytes, bytes);
  }
  if (cls == 1) return XDP_DROP;
  if (cls == 2) return XDP_TX;
  return XDP_PASS;
}

SEC("xdp")
int lpm_classify(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_ABORTED;
  __u16 proto = eth->h_proto;
  void *next = eth + 1;
  if (proto == bpf_htons(ETH_P_8021Q)) {
    struct vlan_hdr *vlan = next;
    if ((void *)(vlan + 1) > data_end) return XDP_ABORTED;
    proto = vlan->encap_proto;
    next = vlan + 1;
  }
  __u64 bytes = (__u64)(data_end - data);
  if (proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = next;
    if ((void *)(ip + 1) > data_end) return XDP_ABORTED;
    struct v4_key key = {.prefixlen = 32};
    __builtin_memcpy(key.addr, &ip->daddr, 4);
    __u32 *cls = bpf_map_lookup_elem(&routes4, &key);
    return verdict(cls ? *cls : 0, bytes);
  }
  if (proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = next;
    if ((void *)(ip6 + 1) > data_end) return XDP_ABORTED;
    struct v6_key key = {.prefixlen = 128};
    __builtin_memcpy(key.addr, ip6->daddr, 16);
    __u32 *cls = bpf_map_lookup_elem(&routes6, &key);
    return verdict(cls ? *cls : 0, bytes);
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
