/* Per-flow packet and byte counters: IPv4 TCP/UDP flows keyed by their 5-tuple in a hash
 * map. New flows are inserted with BPF_NOEXIST; existing ones are updated atomically. */
#include "bpfjit_net.h"

struct flow_key {
  __be32 saddr;
  __be32 daddr;
  __be16 sport;
  __be16 dport;
  __u8 proto;
  __u8 pad[3];
};

struct flow_stats {
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, struct flow_key);
  __type(value, struct flow_stats);
} flows SEC(".maps");

SEC("xdp")
int count_flows(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  __u32 ihl = (ip->ihl_version & 0x0f) * 4;
  if (ihl < sizeof(*ip)) return XDP_PASS;
  struct flow_key key = {};
  key.saddr = ip->saddr;
  key.daddr = ip->daddr;
  key.proto = ip->protocol;
  void *l4 = (void *)ip + ihl;
  if (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP) {
    /* both headers start with the source and destination ports */
    struct udphdr *ports = l4;
    if ((void *)(ports + 1) > data_end) return XDP_PASS;
    key.sport = ports->source;
    key.dport = ports->dest;
  } else {
    return XDP_PASS;
  }
  __u64 len = (__u64)(data_end - data);
  struct flow_stats *st = bpf_map_lookup_elem(&flows, &key);
  if (st) {
    __sync_fetch_and_add(&st->packets, 1);
    __sync_fetch_and_add(&st->bytes, len);
  } else {
    struct flow_stats fresh = {1, len};
    bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
  }
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
