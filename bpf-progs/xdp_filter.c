/* XDP parser and filter: Ethernet (with one optional 802.1Q tag), IPv4 (with options),
 * IPv6, TCP and UDP. Drops packets from blocked IPv4 sources (a hash map the host fills),
 * TCP to port 23 and truncated headers; passes everything else. Counts what it saw. */
#include "bpfjit_net.h"

enum { STAT_IPV4, STAT_IPV6, STAT_TCP, STAT_UDP, STAT_DROP, STAT_OTHER, STAT_COUNT };

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, STAT_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} stats SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __be32);
  __type(value, __u8);
} blocked_src SEC(".maps");

static __always_inline void count(__u32 what) {
  __u64 *v = bpf_map_lookup_elem(&stats, &what);
  if (v) __sync_fetch_and_add(v, 1);
}

static __always_inline int drop(void) {
  count(STAT_DROP);
  return XDP_DROP;
}

static __always_inline int l4(void *l4hdr, void *data_end, __u8 proto) {
  if (proto == IPPROTO_TCP) {
    struct tcphdr *tcp = l4hdr;
    if ((void *)(tcp + 1) > data_end) return drop();
    count(STAT_TCP);
    if (tcp->dest == bpf_htons(23)) return drop();
    return XDP_PASS;
  }
  if (proto == IPPROTO_UDP) {
    struct udphdr *udp = l4hdr;
    if ((void *)(udp + 1) > data_end) return drop();
    count(STAT_UDP);
    return XDP_PASS;
  }
  count(STAT_OTHER);
  return XDP_PASS;
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return drop();
  __u16 proto = eth->h_proto;
  void *next = eth + 1;
  if (proto == bpf_htons(ETH_P_8021Q)) {
    struct vlan_hdr *vlan = next;
    if ((void *)(vlan + 1) > data_end) return drop();
    proto = vlan->encap_proto;
    next = vlan + 1;
  }
  if (proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = next;
    if ((void *)(ip + 1) > data_end) return drop();
    __u32 ihl = (ip->ihl_version & 0x0f) * 4;
    if (ihl < sizeof(*ip)) return drop();
    if ((void *)ip + ihl > data_end) return drop();
    count(STAT_IPV4);
    __be32 saddr = ip->saddr;
    if (bpf_map_lookup_elem(&blocked_src, &saddr)) return drop();
    return l4((void *)ip + ihl, data_end, ip->protocol);
  }
  if (proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = next;
    if ((void *)(ip6 + 1) > data_end) return drop();
    count(STAT_IPV6);
    return l4(ip6 + 1, data_end, ip6->nexthdr);
  }
  count(STAT_OTHER);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
