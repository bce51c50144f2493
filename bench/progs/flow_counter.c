/* A hash-map heavy flow counter: IPv4 TCP/UDP packets counted per 5-tuple (packets and
 * bytes), new flows inserted with BPF_NOEXIST, existing ones updated with atomic adds. */
#include "bench_prog.h"

struct flow_key {
  __u32 saddr;
  __u32 daddr;
  __u16 sport;
  __u16 dport;
  __u8 proto;
  __u8 pad[3];
};

struct flow_stats {
  __u64 packets;
  __u64 bytes;
};

BENCH_MAP(flows, BPF_MAP_TYPE_HASH, struct flow_key, struct flow_stats, 4096);

SEC("xdp")
int flow_counter(struct xdp_md *ctx) {
  struct iphdr *ip = bench_ipv4(ctx);
  if (!ip) return XDP_PASS;
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP) return XDP_PASS;
  __u32 ihl = (ip->ihl_version & 0x0f) * 4;
  if (ihl < sizeof(*ip)) return XDP_PASS;
  struct udphdr *ports = (void *)ip + ihl;
  if ((void *)(ports + 1) > data_end) return XDP_PASS;
  struct flow_key key = {};
  key.saddr = ip->saddr;
  key.daddr = ip->daddr;
  key.sport = ports->source;
  key.dport = ports->dest;
  key.proto = ip->protocol;
  __u64 len = (__u64)(data_end - data);
  struct flow_stats *st = bpf_map_lookup_elem(&flows, &key);
  if (st) {
    __sync_fetch_and_add(&st->packets, 1);
    __sync_fetch_and_add(&st->bytes, len);
    return XDP_PASS;
  }
  struct flow_stats fresh = {1, len};
  bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
  return XDP_PASS;
}

BENCH_NATIVE_MAPS(flow_counter, &flows);
BENCH_NATIVE_FNS(flow_counter, BENCH_FN(flow_counter));
BENCH_LICENSE;
