/* Tail calls in every shape the JIT continues in place (test/loader/tail_jump_test.cc):
 * an entry program that tail-calls slot 0 (the test points it at itself, at a leaf, at a
 * program of another engine or at none), one that tail-calls from inside a bpf-to-bpf
 * function (slot 1), a ping-pong pair (slots 0 and 3), a leaf that counts in a map no
 * other program references (so it sees its own program's maps only when the run switched
 * to it), and a leaf that loops long enough to run out of a small budget. */
#include "bpfjit_net.h"

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, __u32);
} jumps SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} seen SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} leaf_seen SEC(".maps");

static __always_inline void hit(void *map, __u32 slot) {
  __u64 *v = bpf_map_lookup_elem(map, &slot);
  if (v) __sync_fetch_and_add(v, 1);
}

SEC("xdp")
int entry(struct xdp_md *ctx) {
  hit(&seen, 0);
  bpf_tail_call(ctx, &jumps, 0);
  hit(&seen, 1); /* slot 0 empty, or no tail call left */
  return XDP_PASS;
}

SEC("xdp")
int pong(struct xdp_md *ctx) {
  hit(&seen, 2);
  bpf_tail_call(ctx, &jumps, 3);
  hit(&seen, 3);
  return XDP_DROP;
}

static __noinline int tail_from_sub(struct xdp_md *ctx, __u32 slot) {
  hit(&seen, 4);
  bpf_tail_call(ctx, &jumps, slot);
  return (int)slot + 6; /* the slot was empty */
}

SEC("xdp")
int sub_entry(struct xdp_md *ctx) {
  int r = tail_from_sub(ctx, 1);
  hit(&seen, 5);
  return r;
}

/* XDP_TX for packets of at least 20 bytes, else XDP_ABORTED: depends on the context. */
SEC("xdp")
int leaf(struct xdp_md *ctx) {
  hit(&leaf_seen, 0);
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  return data + 20 <= data_end ? XDP_TX : XDP_ABORTED;
}

static __noinline int step(int x) { return (x * 7 + 3) & 0xff; }

SEC("xdp")
int spin(struct xdp_md *ctx) {
  int acc = 0;
  for (int i = 0; i < 200; i++) acc += step(i + acc);
  return acc & 3;
}

char LICENSE[] SEC("license") = "GPL";
