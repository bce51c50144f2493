/* XDP source routing with the map types the kernel offers for it: the IPv4 source is
 * classified by the longest matching prefix in an lpm_trie; destinations in a
 * bloom_filter are dropped and reported through a perf_event_array; the packets of each
 * class are counted in an array that an array_of_maps slot holds (the host can swap it).
 *   no route: XDP_ABORTED; blocked: XDP_DROP; otherwise XDP_PASS (class 1) or XDP_TX. */
#include "bpfjit_net.h"

struct route_key {
  __u32 prefixlen;
  __u8 addr[4];
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 64);
  __type(key, struct route_key);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
  __uint(max_entries, 128);
  __type(value, __u32);
  __uint(map_extra, 3);
} blocked SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct class_counts {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u64);
};

struct class_counts counts_a SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, struct class_counts);
} tables SEC(".maps") = {
    .values = {[0] = &counts_a},
};

struct block_event {
  __u32 src;
  __u32 dst;
  __u32 cls;
};

SEC("xdp")
int route_guard(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_ABORTED;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_ABORTED;

  struct route_key key = {.prefixlen = 32};
  __builtin_memcpy(key.addr, &ip->saddr, 4);
  __u32 *cls = bpf_map_lookup_elem(&routes, &key);
  if (!cls) return XDP_ABORTED;
  __u32 c = *cls;

  __u32 dst = ip->daddr;
  if (bpf_map_peek_elem(&blocked, &dst) == 0) {
    struct block_event ev = {.src = ip->saddr, .dst = ip->daddr, .cls = c};
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
    return XDP_DROP;
  }

  __u32 slot = 0;
  void *counts = bpf_map_lookup_elem(&tables, &slot);
  if (counts) {
    __u32 idx = c & 3;
    __u64 *n = bpf_map_lookup_elem(counts, &idx);
    if (n) __sync_fetch_and_add(n, 1);
  }
  return c == 1 ? XDP_PASS : XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
