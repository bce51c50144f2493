/* A socket filter: keeps UDP datagrams to or from port 53 (DNS) in full and IPv4 TCP
 * segments truncated to their first 64 bytes; drops everything else (returns 0). The
 * packet starts at the Ethernet header; bpfjit's socket_filter type gives direct packet
 * access through skb->data and skb->data_end (the kernel would use bpf_skb_load_bytes). */
#include "bpfjit_net.h"

SEC("socket")
int dns_filter(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return 0;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return 0;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return 0;
  __u32 ihl = (ip->ihl_version & 0x0f) * 4;
  if (ihl < sizeof(*ip)) return 0;
  if (ip->protocol == IPPROTO_TCP) return skb->len < 64 ? skb->len : 64;
  if (ip->protocol != IPPROTO_UDP) return 0;
  struct udphdr *udp = (void *)ip + ihl;
  if ((void *)(udp + 1) > data_end) return 0;
  if (udp->dest == bpf_htons(53) || udp->source == bpf_htons(53)) return skb->len;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
