/* A forwarder, xdp and tc, as real ones are written: bpf_fib_lookup on the packet's IPv4 or
 * IPv6 header, bpf_check_mtu on the egress device, then the Ethernet addresses from the
 * lookup and a redirect: bpf_redirect_map to the devmap tx_port (xdp) or bpf_redirect (tc).
 * FRAG_NEEDED drops the packet, other failures pass it to the stack.
 *
 * Test steering, from the Ethernet source address (read before it is rewritten):
 *   h_source[0] & 0x1f  the fib_lookup flags (DIRECT, OUTPUT, SKIP_NEIGH, TBID, SRC)
 *   h_source[1] & 0x1f  redirect_map's flags (default action, BROADCAST, EXCLUDE_INGRESS)
 *   h_source[2]         the table of BPF_FIB_LOOKUP_TBID
 *   h_source[3]         check_mtu's len_diff (signed)
 *   h_source[4] & 1     tc: fib_lookup without tot_len (the skb is checked instead)
 * What the helpers answered is left in the array map obs (struct fwd_obs). */
#include "bpfjit_net.h"

char LICENSE[] SEC("license") = "GPL";

struct fwd_obs {
  __s64 fib_rc;
  __s64 mtu_rc;
  __u32 ifindex;
  __u32 mtu_result;
  __u32 rt_metric;
  __u32 family;
  __u32 mtu_len;
  __u32 src[4];
  __u32 dst[4];
  __u8 smac[6];
  __u8 dmac[6];
};

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32);
} tx_port SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct fwd_obs);
} obs SEC(".maps");

/* Fills p from the packet; 0 when it is neither IPv4 nor IPv6. */
static __always_inline int parse(void *data, void *data_end, struct bpf_fib_lookup *p) {
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return 0;
  if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > data_end) return 0;
    p->family = AF_INET;
    p->tos = ip->tos;
    p->l4_protocol = ip->protocol;
    p->tot_len = bpf_ntohs(ip->tot_len);
    p->ipv4_src = ip->saddr;
    p->ipv4_dst = ip->daddr;
    return 1;
  }
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > data_end) return 0;
    p->family = AF_INET6;
    p->l4_protocol = ip6->nexthdr;
    p->tot_len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
    __builtin_memcpy(p->ipv6_src, ip6->saddr, 16);
    __builtin_memcpy(p->ipv6_dst, ip6->daddr, 16);
    return 1;
  }
  return 0;
}

static __always_inline void record(const struct bpf_fib_lookup *p, long fib_rc, long mtu_rc,
                                   __u32 mtu_len) {
  __u32 zero = 0;
  struct fwd_obs *o = bpf_map_lookup_elem(&obs, &zero);
  if (!o) return;
  o->fib_rc = fib_rc;
  o->mtu_rc = mtu_rc;
  o->ifindex = p->ifindex;
  o->mtu_result = p->mtu_result;
  o->rt_metric = p->rt_metric;
  o->family = p->family;
  o->mtu_len = mtu_len;
  __builtin_memcpy(o->src, p->ipv6_src, 16);
  __builtin_memcpy(o->dst, p->ipv6_dst, 16);
  __builtin_memcpy(o->smac, p->smac, 6);
  __builtin_memcpy(o->dmac, p->dmac, 6);
}

SEC("xdp")
int xdp_fwd(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct bpf_fib_lookup p = {};
  if (!parse(data, data_end, &p)) return XDP_PASS;
  struct ethhdr *eth = data;
  __u32 flags = eth->h_source[0] & 0x1f;
  __u64 map_flags = eth->h_source[1] & 0x1f;
  if (flags & BPF_FIB_LOOKUP_TBID) p.tbid = eth->h_source[2];
  __s32 len_diff = (__s8)eth->h_source[3];
  p.ifindex = ctx->ingress_ifindex;
  long rc = bpf_fib_lookup(ctx, &p, sizeof(p), flags);
  __u32 mtu_len = 0;
  long mrc = bpf_check_mtu(ctx, rc == BPF_FIB_LKUP_RET_SUCCESS ? p.ifindex : 0, &mtu_len,
                           len_diff, 0);
  record(&p, rc, mrc, mtu_len);
  if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) return XDP_DROP;
  if (rc != BPF_FIB_LKUP_RET_SUCCESS) return XDP_PASS;
  data = (void *)(long)ctx->data;
  data_end = (void *)(long)ctx->data_end;
  eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_ABORTED;
  __builtin_memcpy(eth->h_dest, p.dmac, 6);
  __builtin_memcpy(eth->h_source, p.smac, 6);
  return bpf_redirect_map(&tx_port, p.ifindex, map_flags);
}

SEC("tc")
int tc_fwd(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct bpf_fib_lookup p = {};
  if (!parse(data, data_end, &p)) return TC_ACT_OK;
  struct ethhdr *eth = data;
  __u32 flags = eth->h_source[0] & 0x1f;
  if (flags & BPF_FIB_LOOKUP_TBID) p.tbid = eth->h_source[2];
  __s32 len_diff = (__s8)eth->h_source[3];
  if (eth->h_source[4] & 1) p.tot_len = 0;
  p.ifindex = skb->ifindex;
  long rc = bpf_fib_lookup(skb, &p, sizeof(p), flags);
  __u32 mtu_len = 0;
  long mrc = bpf_check_mtu(skb, rc == BPF_FIB_LKUP_RET_SUCCESS ? p.ifindex : 0, &mtu_len,
                           len_diff, 0);
  record(&p, rc, mrc, mtu_len);
  if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED) return TC_ACT_SHOT;
  if (rc != BPF_FIB_LKUP_RET_SUCCESS) return TC_ACT_OK;
  if ((void *)(eth + 1) > data_end) return TC_ACT_SHOT;
  __builtin_memcpy(eth->h_dest, p.dmac, 6);
  __builtin_memcpy(eth->h_source, p.smac, 6);
  return bpf_redirect(p.ifindex, 0);
}

/* Spreads packets over CPUs: the cpumap slot of the packet's first byte, XDP_PASS when the
 * slot is empty. */
struct {
  __uint(type, BPF_MAP_TYPE_CPUMAP);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} cpu_map SEC(".maps");

SEC("xdp")
int xdp_to_cpu(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  if (data + 1 > data_end) return XDP_ABORTED;
  return bpf_redirect_map(&cpu_map, *(__u8 *)data, XDP_PASS);
}
