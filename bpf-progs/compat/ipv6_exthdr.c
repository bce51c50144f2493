// IPv6 extension header walk with a bounded loop (an IDS pre-filter): skips hop-by-hop,
// routing, destination options and fragment headers to find the upper-layer protocol,
// then drops UDP to a blocked port.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_EXT_HDRS 6

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __u16);
  __type(value, __u8);
} blocked_ports SEC(".maps");

SEC("xdp")
int xdp_ipv6_exthdr(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IPV6)) return XDP_PASS;
  struct ipv6hdr *ip6 = (void *)(eth + 1);
  if ((void *)(ip6 + 1) > data_end) return XDP_PASS;
  __u8 next = ip6->nexthdr;
  void *cursor = ip6 + 1;
  for (int i = 0; i < MAX_EXT_HDRS; i++) {
    if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
        next != IPPROTO_FRAGMENT)
      break;
    struct ipv6_opt_hdr *opt = cursor;
    if ((void *)(opt + 1) > data_end) return XDP_PASS;
    next = opt->nexthdr;
    if (next == IPPROTO_FRAGMENT)
      cursor += 8;
    else
      cursor += (opt->hdrlen + 1) * 8;
  }
  if (next != IPPROTO_UDP) return XDP_PASS;
  struct udphdr *udp = cursor;
  if ((void *)(udp + 1) > data_end) return XDP_PASS;
  __u16 port = bpf_ntohs(udp->dest);
  if (bpf_map_lookup_elem(&blocked_ports, &port)) return XDP_DROP;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
