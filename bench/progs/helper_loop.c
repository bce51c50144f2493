/* A helper-call heavy loop: 4096 iterations, each calling the harness's bench_mix helper
 * twice and looking up an array map element, so the time is mostly helper calls. */
#include "bench_prog.h"

BENCH_MAP(table, BPF_MAP_TYPE_ARRAY, __u32, __u64, 64);

SEC("bench")
__u64 helper_loop(__u8 *buf, __u64 len) {
  __u64 acc = len;
  for (__u32 i = 0; i < 4096; i++) {
    acc = bench_mix(acc, i);
    __u32 key = (__u32)acc & 63;
    __u64 *v = bpf_map_lookup_elem(&table, &key);
    if (v) acc += *v;
    acc = bench_mix(acc, key);
  }
  return acc;
}

BENCH_NATIVE_MAPS(helper_loop, &table);
BENCH_NATIVE_FNS(helper_loop, BENCH_FN(helper_loop));
BENCH_LICENSE;
