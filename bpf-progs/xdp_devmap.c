/* XDP forwarding through a devmap: the packet goes to the port the last byte of its
 * destination MAC names (bpf_redirect_map; slots the host left empty give XDP_PASS, the
 * flags' fallback). Counts the packets sent to each port in an array. */
#include "bpfjit_net.h"

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u32);
} tx_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} sent SEC(".maps");

SEC("xdp")
int xdp_devmap(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_ABORTED;
  __u32 port = eth->h_dest[5] & 7;
  long rc = bpf_redirect_map(&tx_ports, port, XDP_PASS);
  if (rc == XDP_REDIRECT) {
    __u64 *n = bpf_map_lookup_elem(&sent, &port);
    if (n) __sync_fetch_and_add(n, 1);
  }
  return rc;
}

char LICENSE[] SEC("license") = "GPL";
