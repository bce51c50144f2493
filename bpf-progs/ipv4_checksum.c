/* IPv4 header checksum: verifies the header checksum of an Ethernet/IPv4 frame and
 * decrements the TTL, fixing the checksum incrementally (RFC 1624) as a router does.
 * Bad checksums are dropped; TTL 1 or less is dropped. */
#include "bpfjit_net.h"

static __always_inline __u16 csum_fold(__u32 sum) {
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return (__u16)~sum;
}

SEC("xdp")
int ttl_router(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_DROP;
  if ((ip->ihl_version & 0x0f) != 5) return XDP_PASS; /* options: leave to the stack */
  __u16 *words = (__u16 *)ip;
  __u32 sum = 0;
  for (int i = 0; i < 10; ++i) sum += words[i];
  if (csum_fold(sum) != 0) return XDP_DROP;
  if (ip->ttl <= 1) return XDP_DROP;
  /* RFC 1624: HC' = ~(~HC + ~m + m') on the 16-bit word holding ttl and protocol */
  __u16 old_word = words[4];
  ip->ttl -= 1;
  __u16 new_word = words[4];
  __u32 c = (__u16)~ip->check;
  c += (__u16)~old_word;
  c += new_word;
  ip->check = csum_fold(c);
  return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
