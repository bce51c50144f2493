/* Totals that must stay consistent with each other: packets and bytes per protocol slot,
 * updated together under the bpf_spin_lock of the array value (an XDP accounting hook). A
 * reader that takes the same lock sees bytes == packets * length when every packet has
 * one length, which a test run from many threads checks. */
#include "bpfjit_helpers.h"

struct totals {
  __u64 packets;
  struct bpf_spin_lock lock;
  __u32 max_len;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, struct totals);
} totals SEC(".maps");

SEC("xdp")
int count_locked(struct xdp_md *ctx) {
  __u32 len = ctx->data_end - ctx->data;
  __u32 slot = len & 3;
  struct totals *t = bpf_map_lookup_elem(&totals, &slot);
  if (!t) return XDP_ABORTED;
  bpf_spin_lock(&t->lock);
  t->packets++;
  t->bytes += len;
  if (len > t->max_len) t->max_len = len;
  bpf_spin_unlock(&t->lock);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
