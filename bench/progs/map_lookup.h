/* The map lookup rows (map_lookup_array.c, map_lookup_hash.c): a program of 4096
 * bpf_map_lookup_elem calls on `lookup_table`, 256 entries of type MAP_TYPE with keys of
 * type KEY_T, every key present (the host fills keys 0..255 before the first run). Each key
 * depends on the last value read, so the lookups cannot overlap or be hoisted; the harness
 * reports the time per lookup. */
#include "bench_prog.h"

#define BENCH_MAP_LOOKUP_PROG(name_, map_type_, key_t)             \
  BENCH_MAP(lookup_table, map_type_, key_t, __u64, 256);           \
  SEC("bench")                                                     \
  __u64 name_(__u8 *buf, __u64 len) {                              \
    __u64 acc = len;                                               \
    for (__u32 i = 0; i < 4096; i++) {                             \
      key_t key = (key_t)((acc + i) & 255);                        \
      __u64 *v = bpf_map_lookup_elem(&lookup_table, &key);         \
      if (v)                                                       \
        acc += *v;                                                 \
      else                                                         \
        acc ^= i;                                                  \
    }                                                              \
    return acc;                                                    \
  }                                                                \
  BENCH_NATIVE_MAPS(name_, &lookup_table);                         \
  BENCH_NATIVE_FNS(name_, BENCH_FN(name_));                        \
  BENCH_LICENSE
