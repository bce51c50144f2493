/* A token-bucket rate limiter per IPv4 source on an LRU hash map. Each source may send
 * `burst` packets at once and earns one token every `ns_per_token` nanoseconds (both in
 * .rodata, set by the host); packets without a token are dropped. */
#include "bpfjit_net.h"

const volatile __u64 ns_per_token = 1000000; /* 1000 packets per second */
const volatile __u64 burst = 4;

struct bucket {
  __u64 tokens;
  __u64 last_ns;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 128);
  __type(key, __be32);
  __type(value, struct bucket);
} buckets SEC(".maps");

__u64 dropped;

SEC("xdp")
int rate_limit(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > data_end) return XDP_PASS;
  __be32 src = ip->saddr;
  __u64 now = bpf_ktime_get_ns();
  struct bucket *b = bpf_map_lookup_elem(&buckets, &src);
  if (!b) {
    struct bucket fresh = {burst - 1, now};
    bpf_map_update_elem(&buckets, &src, &fresh, BPF_ANY);
    return XDP_PASS;
  }
  __u64 earned = (now - b->last_ns) / ns_per_token;
  if (earned) {
    b->tokens += earned;
    if (b->tokens > burst) b->tokens = burst;
    b->last_ns += earned * ns_per_token;
  }
  if (b->tokens == 0) {
    dropped++;
    return XDP_DROP;
  }
  b->tokens--;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
