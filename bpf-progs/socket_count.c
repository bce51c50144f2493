/* A socket filter as the kernel lets one read the packet: bpf_skb_load_bytes, from the
 * network header (a socket sees no Ethernet header). (Not LD_ABS/LD_IND: bpfjit's engines
 * do not run the legacy packet loads yet.) Counts
 * packets and bytes by IP protocol (slot 255: not IPv4) and keeps IPv4 UDP in full, the
 * first 64 bytes of IPv4 TCP and nothing else. */
#include "bpfjit_net.h"

static __always_inline __u32 load_byte(struct __sk_buff *skb, __u32 off) {
  __u8 b = 0;
  if (bpf_skb_load_bytes(skb, off, &b, 1) < 0) return 0x100;
  return b;
}

struct counts {
  __u64 packets;
  __u64 bytes;
  __u32 last_len;
  __u32 last_protocol;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 256);
  __type(key, __u32);
  __type(value, struct counts);
} by_proto SEC(".maps");

SEC("socket")
int socket_count(struct __sk_buff *skb) {
  __u32 proto = 255;
  __u8 head[2] = {};
  long rc = bpf_skb_load_bytes(skb, 0, head, 2);
  if (skb->protocol == bpf_htons(ETH_P_IP) && rc == 0 && (head[0] >> 4) == 4 && skb->len >= 20)
    proto = load_byte(skb, 9);
  struct counts *c = bpf_map_lookup_elem(&by_proto, &proto);
  if (c) {
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, skb->len);
    c->last_len = skb->len;
    c->last_protocol = skb->protocol;
  }
  if (proto == IPPROTO_UDP) return skb->len;
  if (proto == IPPROTO_TCP) {
    __u32 flags_off = (load_byte(skb, 0) & 0xf) * 4 + 13;
    __u32 flags = load_byte(skb, flags_off);
    if (flags == 0x100) return 1; /* no TCP header */
    if (flags & 0x2) return skb->len; /* SYN */
    return skb->len < 64 ? skb->len : 64;
  }
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
