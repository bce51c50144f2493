/* Queue and stack maps: pushes every 32-bit word of the input into both, then pops the
 * stack (newest first) and the queue (oldest first) to build a result. */
#include "bpfjit_helpers.h"

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __uint(max_entries, 8);
  __type(value, __u32);
} fifo SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_STACK);
  __uint(max_entries, 8);
  __type(value, __u32);
} lifo SEC(".maps");

SEC("mem")
__u64 queue_stack(void *buf, __u64 len) {
  __u32 *words = buf;
  __u32 n = len / 4;
  if (n > 8) n = 8;
  for (__u32 i = 0; i < 8; ++i) {
    if (i >= n) break;
    __u32 w = words[i];
    bpf_map_push_elem(&fifo, &w, 0);
    bpf_map_push_elem(&lifo, &w, 0);
  }
  __u32 top = 0, head = 0, peeked = 0;
  if (bpf_map_pop_elem(&lifo, &top) != 0) return 0;
  if (bpf_map_peek_elem(&fifo, &peeked) != 0) return 0;
  if (bpf_map_pop_elem(&fifo, &head) != 0) return 0;
  /* top is the last word pushed, head the first; the peek did not remove it */
  return ((__u64)top << 32) | (head + peeked);
}

char LICENSE[] SEC("license") = "GPL";
