/* Map lookups from a program: 4096 bpf_map_lookup_elem calls on a hash map with an 8-byte
 * key (every key present: the host inserts keys 0..255 before the first run). Each key
 * depends on the last value read, so the lookups cannot overlap or be hoisted; the
 * harness reports the time per lookup. */
#include "bench_prog.h"

BENCH_MAP(lookup_table, BPF_MAP_TYPE_HASH, __u64, __u64, 256);

SEC("bench")
__u64 map_lookup_hash(__u8 *buf, __u64 len) {
  __u64 acc = len;
  for (__u32 i = 0; i < 4096; i++) {
    __u64 key = (acc + i) & 255;
    __u64 *v = bpf_map_lookup_elem(&lookup_table, &key);
    if (v)
      acc += *v;
    else
      acc ^= i;
  }
  return acc;
}

BENCH_NATIVE_MAPS(map_lookup_hash, &lookup_table);
BENCH_NATIVE_FNS(map_lookup_hash, BENCH_FN(map_lookup_hash));
BENCH_LICENSE;
