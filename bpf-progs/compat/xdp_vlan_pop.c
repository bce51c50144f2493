// Pops an outer 802.1Q tag in XDP (as the XDP tutorials' packet rewriting lesson does):
// moves the MAC addresses forward and shrinks the head with bpf_xdp_adjust_head, then
// checks the packet again, since the helper invalidates earlier packet pointers.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct vlan_hdr {
  __be16 tci;
  __be16 encap_proto;
};

SEC("xdp")
int xdp_vlan_pop(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_8021Q)) return XDP_PASS;
  struct vlan_hdr *vh = (void *)(eth + 1);
  if ((void *)(vh + 1) > data_end) return XDP_PASS;
  struct ethhdr copy;
  __builtin_memcpy(&copy, eth, sizeof(copy));
  copy.h_proto = vh->encap_proto;
  if (bpf_xdp_adjust_head(ctx, (int)sizeof(*vh))) return XDP_ABORTED;
  data = (void *)(long)ctx->data;
  data_end = (void *)(long)ctx->data_end;
  eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_ABORTED;
  __builtin_memcpy(eth, &copy, sizeof(copy));
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
