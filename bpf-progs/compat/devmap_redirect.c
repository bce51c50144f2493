// XDP L2 forwarding between ports through a devmap (the xdp_redirect_map sample's shape),
// plus a cpumap variant steering flows to CPUs by hash.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32);
} tx_port SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_CPUMAP);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

static __always_inline void swap_macs(struct ethhdr *eth) {
  unsigned char tmp[ETH_ALEN];
  __builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
  __builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
  __builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

SEC("xdp")
int xdp_redirect_map(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_DROP;
  swap_macs(eth);
  return bpf_redirect_map(&tx_port, ctx->ingress_ifindex, XDP_PASS);
}

SEC("xdp")
int xdp_cpu_steer(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  if (data + 14 > data_end) return XDP_DROP;
  __u32 cpu = ((unsigned char *)data)[13] & 7;
  return bpf_redirect_map(&cpu_map, cpu, 0);
}

char LICENSE[] SEC("license") = "GPL";
