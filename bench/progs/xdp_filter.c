/* An XDP parser and filter: Ethernet, IPv4 (header checksum verified), TCP/UDP ports, and a
 * small rule set. Drops bad checksums, expired TTLs, fragments and a few blocked ports;
 * passes the rest, or sends DNS back out (XDP_TX). Pure computation: no maps. */
#include "bench_prog.h"

static __always_inline int ipv4_checksum_ok(const struct iphdr *ip, const void *data_end) {
  const __u16 *w = (const __u16 *)ip;
  __u32 sum = 0;
  /* a fixed 20-byte header (the filter drops packets with options first) */
  for (int i = 0; i < 10; i++) {
    if ((const void *)(w + i + 1) > data_end) return 0;
    sum += w[i];
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

static __always_inline int port_blocked(__u16 port) {
  switch (port) {
    case 23: case 135: case 137: case 139: case 445: case 1900: case 11211:
      return 1;
    default:
      return 0;
  }
}

SEC("xdp")
int xdp_filter(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_DROP;
  if ((ip->ihl_version >> 4) != 4 || (ip->ihl_version & 0x0f) != 5) return XDP_DROP;
  if (!ipv4_checksum_ok(ip, data_end)) return XDP_DROP;
  if (ip->ttl <= 1) return XDP_DROP;
  if (ip->frag_off & bpf_htons(0x3fff)) return XDP_DROP;
  __u32 saddr = bpf_ntohl(ip->saddr);
  if ((saddr >> 24) == 10 && ((saddr >> 16) & 0xff) == 66) return XDP_DROP; /* 10.66/16 */
  if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) return XDP_PASS;
  struct udphdr *ports = (void *)(ip + 1);
  if ((void *)(ports + 1) > data_end) return XDP_DROP;
  __u16 dport = bpf_htons(ports->dest);
  if (port_blocked(dport)) return XDP_DROP;
  if (ip->protocol == IPPROTO_UDP && dport == 53) return XDP_TX;
  return XDP_PASS;
}

BENCH_NATIVE_MAPS(xdp_filter, 0);
BENCH_NATIVE_FNS(xdp_filter, BENCH_FN(xdp_filter));
BENCH_LICENSE;
