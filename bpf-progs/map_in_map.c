/* BTF-defined maps with initial values (__array(values, ...)): a prog_array whose slots
 * point at programs, and an array of maps whose slots point at other maps, laid out as in
 * libbpf's selftests. The dispatcher tail-calls slot 0 for short packets, slot 2 for long
 * ones, and slot 1 (empty) otherwise. */
#include "bpfjit_helpers.h"

int short_packet(struct xdp_md *ctx);
int long_packet(struct xdp_md *ctx);

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __uint(key_size, sizeof(__u32));
  __array(values, int(void *));
} jumps SEC(".maps") = {
    .values = {[0] = (void *)&short_packet, [2] = (void *)&long_packet},
};

struct inner {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

enum { MT_ARRAY_OF_MAPS = 12, MT_HASH_OF_MAPS = 13 };

struct {
  __uint(type, MT_ARRAY_OF_MAPS);
  __uint(max_entries, 4);
  __type(key, __u32);
  __array(values, struct inner);
} outer SEC(".maps") = {
    .values = {[1] = &inner_a, [3] = &inner_b},
};

struct {
  __uint(type, MT_HASH_OF_MAPS);
  __uint(max_entries, 8);
  __type(key, __u64);
  __array(values, struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, __u32);
    __type(value, __u32);
  });
} by_id SEC(".maps");

SEC("xdp")
int short_packet(struct xdp_md *ctx) { return XDP_TX; }

SEC("xdp")
int long_packet(struct xdp_md *ctx) { return XDP_DROP; }

SEC("xdp")
int dispatch(struct xdp_md *ctx) {
  __u32 len = ctx->data_end - ctx->data;
  __u32 slot = len < 100 ? 0 : len >= 200 ? 2 : 1;
  bpf_tail_call(ctx, &jumps, slot);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
