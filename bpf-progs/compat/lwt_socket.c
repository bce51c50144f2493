// Lightweight tunnel hooks and a libbpf-style socket filter: lwt_in drops packets to a
// blocked prefix, lwt_xmit marks packets, and the socket filter keeps only IPv4 TCP.
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("lwt_in")
int lwt_drop_prefix(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct iphdr *iph = data;
  if ((void *)(iph + 1) > data_end) return BPF_OK;
  if ((bpf_ntohl(iph->daddr) >> 24) == 10) return BPF_DROP;
  return BPF_OK;
}

SEC("lwt_xmit")
int lwt_mark(struct __sk_buff *skb) {
  skb->mark = 0x2a;
  return BPF_OK;
}

SEC("socket")
int sock_ipv4_tcp(struct __sk_buff *skb) {
  __u16 proto = 0;
  if (bpf_skb_load_bytes(skb, 12, &proto, sizeof(proto)) < 0) return 0;
  if (proto != bpf_htons(ETH_P_IP)) return 0;
  __u8 l4 = 0;
  if (bpf_skb_load_bytes(skb, ETH_HLEN + 9, &l4, 1) < 0) return 0;
  return l4 == IPPROTO_TCP ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
