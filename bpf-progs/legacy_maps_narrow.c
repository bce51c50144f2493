/* Legacy map definitions smaller than struct bpf_map_def (no map_flags): 16 bytes each. */
#include "bpfjit_helpers.h"

struct bpf_map_def_narrow {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
};

struct bpf_map_def_narrow SEC("maps") narrow_a = {
    .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 2};
struct bpf_map_def_narrow SEC("maps") narrow_b = {
    .type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 4, .max_entries = 16};

SEC("mem")
int narrow_prog(void *buf, __u64 len) {
  __u32 key = 1;
  __u64 *v = bpf_map_lookup_elem(&narrow_a, &key);
  if (!v) return -1;
  *v += len;
  return (int)*v;
}

char LICENSE[] SEC("license") = "GPL";
