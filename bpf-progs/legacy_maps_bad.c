/* A legacy map definition with a non-zero field past the ones bpfjit knows (numa_node):
 * the object does not load. */
#include "bpfjit_helpers.h"

struct bpf_map_def_wide {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
  unsigned int map_flags;
  unsigned int inner_map_idx;
  unsigned int numa_node;
};

struct bpf_map_def_wide SEC("maps") on_node = {
    .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 2,
    .numa_node = 1};

SEC("mem")
int uses_node(void *buf, __u64 len) {
  __u32 key = 0;
  return bpf_map_lookup_elem(&on_node, &key) != 0;
}

char LICENSE[] SEC("license") = "GPL";
