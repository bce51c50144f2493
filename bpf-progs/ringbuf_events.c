/* A ring buffer event producer: every IPv4 packet produces an event with its addresses,
 * protocol and length; TCP SYNs use bpf_ringbuf_reserve/submit, everything else
 * bpf_ringbuf_output. Events that do not fit are counted in .bss. */
#include "bpfjit_net.h"

struct event {
  __be32 saddr;
  __be32 daddr;
  __u32 len;
  __u8 proto;
  __u8 syn;
  __u16 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} events SEC(".maps");

__u64 lost;

SEC("xdp")
int packet_events(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  __u8 syn = 0;
  if (ip->protocol == IPPROTO_TCP && (ip->ihl_version & 0x0f) == 5) {
    struct tcphdr *tcp = (void *)(ip + 1);
    if ((void *)(tcp + 1) <= data_end && (tcp->flags & 0x12) == 0x02) syn = 1;
  }
  if (syn) {
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e) {
      lost++;
      return XDP_PASS;
    }
    e->saddr = ip->saddr;
    e->daddr = ip->daddr;
    e->len = data_end - data;
    e->proto = ip->protocol;
    e->syn = 1;
    e->pad = 0;
    bpf_ringbuf_submit(e, 0);
    return XDP_PASS;
  }
  struct event ev = {ip->saddr, ip->daddr, (__u32)(data_end - data), ip->protocol, 0, 0};
  if (bpf_ringbuf_output(&events, &ev, sizeof(ev), 0) != 0) lost++;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
