// Other refusals: a loop whose bound comes from a map value with no upper limit, a helper
// the program type may not call, and a stack write at an unchecked variable offset.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} limit SEC(".maps");

SEC("xdp")
int xdp_unbounded_loop(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&limit, &zero);
  if (!n) return XDP_PASS;
  __u64 sum = 0;
  for (__u64 i = 0; i < *n; i++) sum += i ^ ctx->rx_queue_index;
  return sum & 1 ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_wrong_helper(struct xdp_md *ctx) {
  __u32 v = 0;
  bpf_skb_store_bytes((void *)ctx, 0, &v, sizeof(v), 0);
  return XDP_PASS;
}

SEC("socket")
int sock_stack_oob(struct __sk_buff *skb) {
  volatile char buf[16];
  __u32 i = skb->len;
  buf[i & 31] = 1;
  return buf[0];
}

char LICENSE[] SEC("license") = "GPL";
