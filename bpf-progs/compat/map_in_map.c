// Per-tenant policy tables: an array of hash maps (map-in-map); the outer map's inner
// template is declared with __array(values, ...), the program picks the tenant's table and
// looks up the destination port in it.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct inner_ports {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u16);
  __type(value, __u32);
} tenant0_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 8);
  __type(key, __u32);
  __array(values, struct inner_ports);
} tenant_tables SEC(".maps") = {
    .values = {&tenant0_ports},
};

SEC("xdp")
int xdp_tenant_policy(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return XDP_PASS;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return XDP_PASS;
  if (iph->protocol != IPPROTO_UDP || iph->ihl != 5) return XDP_PASS;
  struct udphdr *udp = (void *)(iph + 1);
  if ((void *)(udp + 1) > data_end) return XDP_PASS;
  __u32 tenant = bpf_ntohl(iph->daddr) & 7;
  void *ports = bpf_map_lookup_elem(&tenant_tables, &tenant);
  if (!ports) return XDP_PASS;
  __u16 port = bpf_ntohs(udp->dest);
  __u32 *action = bpf_map_lookup_elem(ports, &port);
  if (action && *action == 1) return XDP_DROP;
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
