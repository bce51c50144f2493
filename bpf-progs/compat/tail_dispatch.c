// A parser split over tail calls (as virtual switches do): the entry program looks up the
// next stage in a prog_array that libbpf initialises from __array(values), and also fills
// at run time; each stage continues the chain or returns.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { STAGE_IPV4 = 0, STAGE_IPV6 = 1, STAGE_MAX = 4 };

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, STAGE_MAX);
  __type(key, __u32);
  __type(value, __u64);
} stage_hits SEC(".maps");

static __always_inline void hit(__u32 stage) {
  __u64 *n = bpf_map_lookup_elem(&stage_hits, &stage);
  if (n) __sync_fetch_and_add(n, 1);
}

SEC("xdp")
int stage_ipv4(struct xdp_md *ctx) {
  hit(STAGE_IPV4);
  return XDP_PASS;
}

SEC("xdp")
int stage_ipv6(struct xdp_md *ctx) {
  hit(STAGE_IPV6);
  return XDP_PASS;
}

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, STAGE_MAX);
  __uint(key_size, sizeof(__u32));
  __array(values, int(struct xdp_md *));
} stages SEC(".maps") = {
    .values = {[STAGE_IPV4] = (void *)&stage_ipv4, [STAGE_IPV6] = (void *)&stage_ipv6},
};

SEC("xdp")
int xdp_dispatch(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  if (eth->h_proto == bpf_htons(ETH_P_IP))
    bpf_tail_call(ctx, &stages, STAGE_IPV4);
  else if (eth->h_proto == bpf_htons(ETH_P_IPV6))
    bpf_tail_call(ctx, &stages, STAGE_IPV6);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
