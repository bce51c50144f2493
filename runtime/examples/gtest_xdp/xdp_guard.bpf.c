/* xdp_guard: a small XDP firewall, the program of the gtest_xdp and pytest_xdp examples.
 *
 * IPv4 only (anything else passes):
 *   - a source address in the `blocked` hash map (filled by the host): XDP_DROP;
 *   - TCP to port 23 (telnet): XDP_DROP;
 *   - an ICMP echo request: answered in place with XDP_TX (MAC and IP addresses swapped,
 *     type 0, the ICMP checksum updated);
 *   - headers cut short (Ethernet, IPv4, TCP, ICMP): XDP_ABORTED;
 *   - everything else: XDP_PASS.
 * `verdicts` counts the verdicts, indexed by their value.
 *
 * Built with -DGUARD_REFUSED, it reads the TCP header without checking the packet's end,
 * and the verifier refuses it (what a test that loads it is told). */
#include "bpfjit_net.h"

struct icmphdr {
  __u8 type; /* 8 echo request, 0 echo reply */
  __u8 code;
  __u16 checksum;
  __be16 id;
  __be16 sequence;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 5); /* XDP_ABORTED .. XDP_REDIRECT */
  __type(key, __u32);
  __type(value, __u64);
} verdicts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 256);
  __type(key, __be32);
  __type(value, __u8);
} blocked SEC(".maps");

static __always_inline int verdict(__u32 action) {
  __u64 *n = bpf_map_lookup_elem(&verdicts, &action);
  if (n) __sync_fetch_and_add(n, 1);
  return action;
}

/* Turns an echo request into its reply, in place. */
static __always_inline int answer_ping(struct ethhdr *eth, struct iphdr *ip,
                                       struct icmphdr *icmp) {
  __u8 mac[6];
  __builtin_memcpy(mac, eth->h_dest, 6);
  __builtin_memcpy(eth->h_dest, eth->h_source, 6);
  __builtin_memcpy(eth->h_source, mac, 6);
  __be32 addr = ip->saddr; /* swapping the addresses leaves the IP checksum as it is */
  ip->saddr = ip->daddr;
  ip->daddr = addr;
  icmp->type = 0;
  /* RFC 1624: the type byte, the high byte of the first word, went from 8 to 0. */
  __u32 sum = (__u16)~icmp->checksum + (__u16)~bpf_htons(0x0800); /* + the new word, 0 */
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  icmp->checksum = ~sum;
  return verdict(XDP_TX);
}

SEC("xdp")
int xdp_guard(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return verdict(XDP_ABORTED);
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return verdict(XDP_PASS);
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return verdict(XDP_ABORTED);
  __u32 ihl = (ip->ihl_version & 0x0f) * 4;
  if (ihl < sizeof(*ip) || (void *)ip + ihl > data_end) return verdict(XDP_ABORTED);
  __be32 saddr = ip->saddr;
  if (bpf_map_lookup_elem(&blocked, &saddr)) return verdict(XDP_DROP);
  void *l4 = (void *)ip + ihl;
  if (ip->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = l4;
#ifndef GUARD_REFUSED
    if ((void *)(tcp + 1) > data_end) return verdict(XDP_ABORTED);
#endif
    if (tcp->dest == bpf_htons(23)) return verdict(XDP_DROP);
    return verdict(XDP_PASS);
  }
  if (ip->protocol == IPPROTO_ICMP) {
    struct icmphdr *icmp = l4;
    if ((void *)(icmp + 1) > data_end) return verdict(XDP_ABORTED);
    if (icmp->type == 8 && icmp->code == 0) return answer_ping(eth, ip, icmp);
  }
  return verdict(XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
