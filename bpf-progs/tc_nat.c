/* A traffic-control NAT: every IPv4 TCP or UDP packet leaves with source 192.0.2.1:4242
 * and the last byte of its destination address flipped, its IPv4 and TCP/UDP checksums
 * fixed up by the helpers as real NAT programs do:
 *  - the source address and port by bpf_skb_store_bytes, then bpf_l3_csum_replace and
 *    bpf_l4_csum_replace with the old and new values (4 and 2 bytes, the address as part
 *    of the pseudo-header);
 *  - the destination address by bpf_csum_diff, whose difference both checksum helpers
 *    apply (size 0).
 * UDP checksums of 0 ("none") stay 0 (BPF_F_MARK_MANGLED_0). Returns TC_ACT_OK when every
 * helper succeeded, 0x100 + the first failure's errno otherwise, TC_ACT_SHOT for an IPv4
 * header shorter than 20 bytes, TC_ACT_UNSPEC for anything but IPv4 TCP/UDP. The header
 * lengths come from the packet, so truncated packets reach the helpers' error paths. */
#include "bpfjit_net.h"

#define ETH_HLEN 14
#define IP_CSUM_OFF (ETH_HLEN + 10)
#define IP_SRC_OFF (ETH_HLEN + 12)
#define IP_DST_OFF (ETH_HLEN + 16)

static __always_inline long fail(long rc) { return 0x100 + (-rc & 0xff); }

SEC("tc")
int tc_nat(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_UNSPEC;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_UNSPEC;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return TC_ACT_UNSPEC;
  __u32 ihl = (ip->ihl_version & 0x0f) * 4;
  if (ihl < sizeof(*ip)) return TC_ACT_SHOT;
  __u8 proto = ip->protocol;
  if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return TC_ACT_UNSPEC;
  __be32 old_src = ip->saddr;
  __be32 old_dst = ip->daddr;
  /* Packet pointers are stale after the first helper that changes packet data. */
  __u32 l4 = ETH_HLEN + ihl;
  __u32 l4_csum = l4 + (proto == IPPROTO_TCP ? 16 : 6);
  __u64 mangled = proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
  __be16 old_port;
  long rc = bpf_skb_load_bytes(skb, l4, &old_port, sizeof(old_port));
  if (rc) return fail(rc);

  __be32 new_src = bpf_htonl(0xc0000201); /* 192.0.2.1 */
  rc = bpf_skb_store_bytes(skb, IP_SRC_OFF, &new_src, 4, BPF_F_INVALIDATE_HASH);
  if (rc) return fail(rc);
  rc = bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_src, new_src, 4);
  if (rc) return fail(rc);
  rc = bpf_l4_csum_replace(skb, l4_csum, old_src, new_src, BPF_F_PSEUDO_HDR | mangled | 4);
  if (rc) return fail(rc);

  __be16 new_port = bpf_htons(4242);
  rc = bpf_skb_store_bytes(skb, l4, &new_port, 2, 0);
  if (rc) return fail(rc);
  rc = bpf_l4_csum_replace(skb, l4_csum, old_port, new_port, mangled | 2);
  if (rc) return fail(rc);

  __be32 new_dst = old_dst ^ bpf_htonl(0xff);
  __s64 diff = bpf_csum_diff(&old_dst, 4, &new_dst, 4, 0);
  rc = bpf_skb_store_bytes(skb, IP_DST_OFF, &new_dst, 4, 0);
  if (rc) return fail(rc);
  rc = bpf_l3_csum_replace(skb, IP_CSUM_OFF, 0, diff, 0);
  if (rc) return fail(rc);
  rc = bpf_l4_csum_replace(skb, l4_csum, 0, diff, BPF_F_PSEUDO_HDR | mangled);
  if (rc) return fail(rc);
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
