/* Shared counters for the concurrency runs: each run reads a slot number from its input
 * and adds one, atomically, to that slot of an array map and to that key of a hash map
 * (inserting the key when it is absent; a lost insert race is retried by lookup). */
#include "bench_prog.h"

BENCH_MAP(array_counts, BPF_MAP_TYPE_ARRAY, __u32, __u64, 64);
BENCH_MAP(hash_counts, BPF_MAP_TYPE_HASH, __u32, __u64, 64);

SEC("bench")
__u64 atomic_count(__u8 *buf, __u64 len) {
  if (len < 4) return 1;
  __u32 slot = *(__u32 *)buf & 63;
  __u64 *a = bpf_map_lookup_elem(&array_counts, &slot);
  if (!a) return 2;
  __sync_fetch_and_add(a, 1);
  __u64 *h = bpf_map_lookup_elem(&hash_counts, &slot);
  if (!h) {
    __u64 zero = 0;
    bpf_map_update_elem(&hash_counts, &slot, &zero, BPF_NOEXIST);
    h = bpf_map_lookup_elem(&hash_counts, &slot);
    if (!h) return 3;
  }
  __sync_fetch_and_add(h, 1);
  return 0;
}

BENCH_NATIVE_MAPS(atomic_count, &array_counts, &hash_counts);
BENCH_NATIVE_FNS(atomic_count, BENCH_FN(atomic_count));
BENCH_LICENSE;
