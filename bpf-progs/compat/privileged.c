// Code the kernel accepts only from a privileged loader (root, or CAP_BPF with
// CAP_PERFMON): a key on the stack that is only partly initialised, and a kernel pointer
// stored into a map value. An unprivileged loader would be refused both; the verdicts
// here are the privileged ones.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct key6 {
  __u32 id;
  __u16 port;
  __u16 unset;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 128);
  __type(key, struct key6);
  __type(value, __u64);
} partial_keys SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} saved_ptr SEC(".maps");

SEC("xdp")
int xdp_partial_key(struct xdp_md *ctx) {
  struct key6 k;
  k.id = ctx->ingress_ifindex;
  k.port = 80;
  /* k.unset is read by the helper without having been written */
  __u64 *v = bpf_map_lookup_elem(&partial_keys, &k);
  return v ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_store_pointer(struct xdp_md *ctx) {
  __u32 zero = 0;
  __u64 *slot = bpf_map_lookup_elem(&saved_ptr, &zero);
  if (!slot) return XDP_PASS;
  *slot = (__u64)(long)slot;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
