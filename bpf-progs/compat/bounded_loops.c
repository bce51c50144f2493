// Loop shapes of real programs: a loop calling a bpf-to-bpf function, nested loops whose
// inner bound depends on the outer counter, and a loop bounded by a count read from a map
// and checked against a constant.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define MAX_RULES 16

struct rule {
  __u32 count;
  __u32 ports[MAX_RULES];
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct rule);
} rules SEC(".maps");

static __noinline __u32 mix(__u32 h, __u32 v) {
  h ^= v;
  h *= 16777619u;
  return h;
}

SEC("xdp")
int xdp_hash_loop(struct xdp_md *ctx) {
  __u32 h = 2166136261u;
  for (__u32 i = 0; i < 32; i++) h = mix(h, i + ctx->rx_queue_index);
  return (h & 1) ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_triangle(struct xdp_md *ctx) {
  __u32 sum = 0;
  for (__u32 i = 0; i < 12; i++)
    for (__u32 j = 0; j < i; j++) sum += i * j + ctx->rx_queue_index;
  return sum > 1000 ? XDP_PASS : XDP_DROP;
}

SEC("tc")
int tc_port_rules(struct __sk_buff *skb) {
  __u32 zero = 0;
  struct rule *r = bpf_map_lookup_elem(&rules, &zero);
  if (!r) return 0;
  __u32 n = r->count;
  if (n > MAX_RULES) n = MAX_RULES;
  for (__u32 i = 0; i < n; i++)
    if (r->ports[i] == skb->mark) return 2;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
