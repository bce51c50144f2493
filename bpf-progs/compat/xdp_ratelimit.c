// DDoS mitigation / IDS bypass filter: a per-source token bucket in an LRU hash, limits
// taken from read-only globals (libbpf's `const volatile` .rodata idiom, set before load)
// and drop counters in .bss.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile __u64 tokens_per_sec = 1000;
const volatile __u64 bucket_size = 2000;

__u64 dropped_packets;
__u64 new_sources;

struct bucket {
  __u64 tokens;
  __u64 last_ns;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 65536);
  __type(key, __u32);
  __type(value, struct bucket);
} buckets SEC(".maps");

SEC("xdp")
int xdp_ratelimit(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return XDP_PASS;
  __u32 src = iph->saddr;
  __u64 now = bpf_ktime_get_ns();
  struct bucket *b = bpf_map_lookup_elem(&buckets, &src);
  if (!b) {
    struct bucket fresh = {.tokens = bucket_size - 1, .last_ns = now};
    bpf_map_update_elem(&buckets, &src, &fresh, BPF_ANY);
    __sync_fetch_and_add(&new_sources, 1);
    return XDP_PASS;
  }
  __u64 refill = (now - b->last_ns) * tokens_per_sec / 1000000000ull;
  __u64 tokens = b->tokens + refill;
  if (tokens > bucket_size) tokens = bucket_size;
  if (refill) b->last_ns = now;
  if (tokens == 0) {
    __sync_fetch_and_add(&dropped_packets, 1);
    return XDP_DROP;
  }
  b->tokens = tokens - 1;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
