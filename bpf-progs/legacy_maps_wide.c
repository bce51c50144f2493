/* Legacy map definitions larger than struct bpf_map_def (the samples' layout with
 * inner_map_idx and numa_node, all zero): the definition size is the section size divided
 * by the number of maps. */
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

struct bpf_map_def_wide SEC("maps") wide_counts = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 4,
};

struct bpf_map_def_wide SEC("maps") wide_hash = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u64),
    .value_size = sizeof(__u32),
    .max_entries = 128,
    .map_flags = 1, /* BPF_F_NO_PREALLOC */
};

SEC("mem")
int count_len(void *buf, __u64 len) {
  __u32 key = len & 3;
  __u64 *v = bpf_map_lookup_elem(&wide_counts, &key);
  if (!v) return -1;
  *v += 1;
  __u64 hkey = len;
  __u32 one = 1;
  bpf_map_update_elem(&wide_hash, &hkey, &one, BPF_ANY);
  return (int)*v;
}

char LICENSE[] SEC("license") = "GPL";
