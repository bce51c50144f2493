/* Per-program isolation: three programs of this object cannot load (one writes r10, one
 * calls a function defined nowhere, one calls a helper its program type does not offer);
 * the others load and run. */
#include "bpfjit_helpers.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} counter SEC(".maps");

SEC("mem")
int good(void *buf, __u64 len) {
  __u32 key = 0;
  __u64 *v = bpf_map_lookup_elem(&counter, &key);
  if (v) *v += len;
  return 7;
}

SEC("mem")
int writes_r10(void *buf, __u64 len) {
  asm volatile("r10 = 0");
  return 1;
}

extern int defined_nowhere(int x);

SEC("mem")
int calls_undefined(void *buf, __u64 len) { return defined_nowhere((int)len); }

SEC("mem")
int bad_helper(void *buf, __u64 len) {
  char b[4];
  return bpf_skb_load_bytes(buf, 0, b, sizeof(b));
}

SEC("mem")
int also_good(void *buf, __u64 len) { return 9; }

char LICENSE[] SEC("license") = "GPL";
