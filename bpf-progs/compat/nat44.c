// Container-networking style SNAT on TC egress: rewrites the IPv4 source address and the
// TCP/UDP source port from a BTF hash map, fixing the checksums with the kernel's helpers
// (bpf_l3_csum_replace, bpf_l4_csum_replace, bpf_csum_diff).
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct nat_key {
  __be32 addr;
  __be16 port;
  __u8 proto;
  __u8 pad;
};

struct nat_value {
  __be32 addr;
  __be16 port;
  __u16 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 4096);
  __type(key, struct nat_key);
  __type(value, struct nat_value);
} snat_table SEC(".maps");

#define IP_SRC_OFF (ETH_HLEN + offsetof(struct iphdr, saddr))
#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define L4_OFF (ETH_HLEN + sizeof(struct iphdr))

SEC("tc")
int tc_snat(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return TC_ACT_OK;
  if (iph->ihl != 5) return TC_ACT_OK;
  struct nat_key key = {.addr = iph->saddr, .proto = iph->protocol};
  __u32 csum_off;
  __be16 old_port;
  if (iph->protocol == IPPROTO_TCP) {
    struct tcphdr *tcp = (void *)(iph + 1);
    if ((void *)(tcp + 1) > data_end) return TC_ACT_OK;
    old_port = tcp->source;
    csum_off = L4_OFF + offsetof(struct tcphdr, check);
  } else if (iph->protocol == IPPROTO_UDP) {
    struct udphdr *udp = (void *)(iph + 1);
    if ((void *)(udp + 1) > data_end) return TC_ACT_OK;
    old_port = udp->source;
    csum_off = L4_OFF + offsetof(struct udphdr, check);
  } else {
    return TC_ACT_OK;
  }
  key.port = old_port;
  struct nat_value *v = bpf_map_lookup_elem(&snat_table, &key);
  if (!v) return TC_ACT_OK;
  __be32 old_addr = key.addr, new_addr = v->addr;
  __be16 new_port = v->port;
  __s64 diff = bpf_csum_diff(&old_addr, 4, &new_addr, 4, 0);
  if (diff < 0) return TC_ACT_SHOT;
  bpf_l4_csum_replace(skb, csum_off, 0, diff, BPF_F_PSEUDO_HDR);
  bpf_l4_csum_replace(skb, csum_off, old_port, new_port, 2);
  bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_addr, new_addr, 4);
  bpf_skb_store_bytes(skb, IP_SRC_OFF, &new_addr, 4, 0);
  bpf_skb_store_bytes(skb, L4_OFF, &new_port, 2, 0);
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
