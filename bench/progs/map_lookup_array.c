/* Map lookups from a program: 4096 bpf_map_lookup_elem calls on an array map with a 4-byte
 * key (every key present: the host fills the 256 slots before the first run). Each key
 * depends on the last value read, so the lookups cannot overlap or be hoisted; the
 * harness reports the time per lookup. */
#include "bench_prog.h"

BENCH_MAP(lookup_table, BPF_MAP_TYPE_ARRAY, __u32, __u64, 256);

SEC("bench")
__u64 map_lookup_array(__u8 *buf, __u64 len) {
  __u64 acc = len;
  for (__u32 i = 0; i < 4096; i++) {
    __u32 key = ((__u32)acc + i) & 255;
    __u64 *v = bpf_map_lookup_elem(&lookup_table, &key);
    if (v)
      acc += *v;
    else
      acc ^= i;
  }
  return acc;
}

BENCH_NATIVE_MAPS(map_lookup_array, &lookup_table);
BENCH_NATIVE_FNS(map_lookup_array, BENCH_FN(map_lookup_array));
BENCH_LICENSE;
