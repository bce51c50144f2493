/* Per-flow packet and byte counters for the xdp_flows example. Every IPv4 frame (also
 * behind one 802.1Q VLAN tag, also with IP options) is counted under its 5-tuple in
 * `flows`; TCP and UDP give their ports, other protocols and non-first fragments count
 * with ports 0. Frames that are not IPv4 pass uncounted; IPv4 frames whose headers are
 * cut short are dropped. `totals` counts frames by outcome. */
#include "bpfjit_net.h"
#include "flow_key.h"

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, FLOWS_MAX);
  __type(key, struct flow_key);
  __type(value, struct flow_counts);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, TOTAL_COUNT);
  __type(key, __u32);
  __type(value, __u64);
} totals SEC(".maps");

static __always_inline void total(__u32 which) {
  __u64 *v = bpf_map_lookup_elem(&totals, &which);
  if (v) __sync_fetch_and_add(v, 1);
}

static __always_inline int malformed(void) {
  total(TOTAL_MALFORMED);
  return XDP_DROP;
}

SEC("xdp")
int xdp_flows(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  total(TOTAL_FRAMES);

  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return malformed();
  __be16 proto = eth->h_proto;
  void *l3 = eth + 1;
  if (proto == bpf_htons(ETH_P_8021Q)) {
    struct vlan_hdr *vlan = l3;
    if ((void *)(vlan + 1) > data_end) return malformed();
    proto = vlan->encap_proto;
    l3 = vlan + 1;
  }
  if (proto != bpf_htons(ETH_P_IP)) {
    total(TOTAL_NOT_IPV4);
    return XDP_PASS;
  }

  struct iphdr *ip = l3;
  if ((void *)(ip + 1) > data_end) return malformed();
  __u32 ihl = (ip->ihl_version & 0x0f) * 4;
  if ((ip->ihl_version >> 4) != 4 || ihl < sizeof(*ip)) return malformed();

  struct flow_key key = {};
  key.saddr = ip->saddr;
  key.daddr = ip->daddr;
  key.proto = ip->protocol;
  /* Only the first fragment (offset 0) carries the transport header. */
  int first_fragment = (ip->frag_off & bpf_htons(0x1fff)) == 0;
  if (first_fragment && (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP)) {
    struct udphdr *ports = (void *)ip + ihl; /* TCP and UDP both start with the ports */
    if ((void *)(ports + 1) > data_end) return malformed();
    key.sport = ports->source;
    key.dport = ports->dest;
  }

  __u64 len = (__u64)(data_end - data);
  struct flow_counts *c = bpf_map_lookup_elem(&flows, &key);
  if (c) {
    __sync_fetch_and_add(&c->packets, 1);
    __sync_fetch_and_add(&c->bytes, len);
  } else {
    struct flow_counts fresh = {1, len};
    bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
  }
  total(TOTAL_COUNTED);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
