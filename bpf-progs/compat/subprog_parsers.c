// Parsers split into functions, as larger datapaths are: a static non-inlined function
// that receives packet pointers, and a global function (verified on its own by the kernel
// from its BTF prototype) that receives the context.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct l3_info {
  __u32 saddr;
  __u32 daddr;
  __u8 proto;
};

static __attribute__((noinline)) int parse_ipv4(void *data, void *data_end,
                                                struct l3_info *out) {
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return -1;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return -1;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return -1;
  out->saddr = iph->saddr;
  out->daddr = iph->daddr;
  out->proto = iph->protocol;
  return 0;
}

__attribute__((noinline)) int is_small_frame(struct xdp_md *ctx) {
  if (!ctx) return 0;
  return ctx->data_end - ctx->data < 128;
}

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, __u64);
} per_source SEC(".maps");

SEC("xdp")
int xdp_subprog_parse(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct l3_info info = {};
  if (parse_ipv4(data, data_end, &info) < 0) return XDP_PASS;
  if (info.proto == IPPROTO_ICMP && is_small_frame(ctx)) return XDP_DROP;
  __u64 one = 1, *n = bpf_map_lookup_elem(&per_source, &info.saddr);
  if (n)
    __sync_fetch_and_add(n, 1);
  else
    bpf_map_update_elem(&per_source, &info.saddr, &one, BPF_NOEXIST);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
