/* A map from the legacy "maps" section (struct bpf_map_def): a histogram of the input's
 * bytes by their high nibble. Returns the number of bytes counted. */
#include "bpfjit_helpers.h"

struct bpf_map_def SEC("maps") histogram = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 16,
};

SEC("mem")
int nibble_histogram(void *buf, __u64 len) {
  __u8 *p = buf;
  int n = 0;
  for (__u32 i = 0; i < 128; ++i) {
    if (i >= len) break;
    __u32 key = p[i] >> 4;
    __u64 *slot = bpf_map_lookup_elem(&histogram, &key);
    if (!slot) continue;
    *slot += 1;
    n++;
  }
  return n;
}

char LICENSE[] SEC("license") = "GPL";
