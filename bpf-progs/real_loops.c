/* Loops as real programs write them, which the verifier must prove (issue: real-world
 * objects): a loop that calls a noinline bpf-to-bpf function on every trip, a bubble sort
 * whose inner bound depends on the outer counter, and a loop bounded by a count read from
 * memory and checked against a constant (clang turns the check into `n - 61 <u -60`, a
 * range check on a copy of n). */
#include "bpfjit_helpers.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64[64]);
} values SEC(".maps");

static __attribute__((noinline)) int step(int x) { return (x * 7 + 3) & 0xff; }

SEC("xdp")
int loop_calls(struct xdp_md *ctx) {
  int acc = 0;
  for (int i = 0; i < 200; i++) acc += step(i + acc);
  return acc & 3;
}

SEC("xdp")
int nested_sort(struct xdp_md *ctx) {
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&values, &k);
  if (!v) return 0;
  for (int i = 0; i < 63; i++) {
    for (int j = 0; j < 63 - i; j++) {
      if (v[j] > v[j + 1]) {
        __u64 t = v[j];
        v[j] = v[j + 1];
        v[j + 1] = t;
      }
    }
  }
  return 2;
}

SEC("xdp")
int count_from_memory(struct xdp_md *ctx) {
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&values, &k);
  if (!v) return 0;
  __u64 n = v[0];
  if (n > 60) return 0;
  __u64 s = 0;
  for (__u64 i = 0; i < n; i++) s += v[i + 1];
  return s & 1 ? 1 : 2;
}

char LICENSE[] SEC("license") = "GPL";
