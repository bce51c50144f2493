/* Per-CPU counters: packets and bytes in a per-CPU array (slot 0 packets, slot 1 bytes),
 * updated without atomics as per-CPU maps allow. */
#include "bpfjit_helpers.h"

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2);
  __type(key, __u32);
  __type(value, __u64);
} pcpu_stats SEC(".maps");

SEC("xdp")
int percpu_count(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  __u32 key = 0;
  __u64 *packets = bpf_map_lookup_elem(&pcpu_stats, &key);
  if (!packets) return XDP_ABORTED;
  *packets += 1;
  key = 1;
  __u64 *bytes = bpf_map_lookup_elem(&pcpu_stats, &key);
  if (!bytes) return XDP_ABORTED;
  *bytes += data_end - data;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
