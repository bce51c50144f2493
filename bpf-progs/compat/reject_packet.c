// Packet-access bugs the kernel refuses: a header read with no bounds check, a check that
// is one byte short, and a write to a read-only context field.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_unchecked_read(struct xdp_md *ctx) {
  struct ethhdr *eth = (void *)(long)ctx->data;
  return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_short_check(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct iphdr *iph = data + sizeof(struct ethhdr);
  if (data + sizeof(struct ethhdr) + sizeof(struct iphdr) - 1 > data_end) return XDP_DROP;
  return iph->daddr ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int tc_write_len(struct __sk_buff *skb) {
  volatile __u32 *len = &skb->len;
  *len = 60;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
