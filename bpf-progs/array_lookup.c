/* Array map lookups at an index the input gives (the first 4 of its 8 bytes are the key):
 * the verified JIT does them in place, the other engines through the helper. Returns the
 * element's tag and the per-CPU count after adding one, 0xffff for a failed lookup. */
#include "bpfjit_helpers.h"

struct wide {
  __u32 tag;
  __u32 hits;
  __u32 pad[3];
}; /* 20 bytes: elements 24 bytes apart */

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 5);
  __type(key, __u32);
  __type(value, struct wide);
} wide_arr SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 3);
  __type(key, __u32);
  __type(value, __u64);
} pcpu_arr SEC(".maps");

SEC("mem")
__u64 array_lookup(void *buf, __u64 len) {
  __u64 hi = 0xffff, lo = 0xffff;
  struct wide *w = bpf_map_lookup_elem(&wide_arr, buf);
  if (w) {
    w->hits += 1;
    hi = w->tag;
  }
  __u64 *p = bpf_map_lookup_elem(&pcpu_arr, buf);
  if (p) {
    *p += 1;
    lo = *p;
  }
  return hi << 32 | lo;
}

char LICENSE[] SEC("license") = "GPL";
