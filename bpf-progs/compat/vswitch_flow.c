// Virtual-switch style TC programs: extract a flow key, hash it with the kernel's flow
// hash, mirror matching flows to a monitor port with bpf_clone_redirect, tag frames with
// bpf_skb_vlan_push and forward them with bpf_redirect.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
  __u32 saddr;
  __u32 daddr;
  __u16 sport;
  __u16 dport;
  __u8 proto;
  __u8 pad[3];
};

struct port_config {
  __u32 mirror_ifindex;
  __u32 out_ifindex;
  __u16 vlan_id;
  __u16 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 8192);
  __type(key, struct flow_key);
  __type(value, __u32);
} mirrored_flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct port_config);
} config SEC(".maps");

SEC("tc")
int tc_flow_mirror(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return TC_ACT_OK;
  struct flow_key key = {.saddr = iph->saddr, .daddr = iph->daddr, .proto = iph->protocol};
  if (iph->protocol == IPPROTO_TCP && iph->ihl == 5) {
    struct tcphdr *tcp = (void *)(iph + 1);
    if ((void *)(tcp + 1) > data_end) return TC_ACT_OK;
    key.sport = tcp->source;
    key.dport = tcp->dest;
  }
  skb->mark = bpf_get_hash_recalc(skb);
  __u32 zero = 0;
  struct port_config *cfg = bpf_map_lookup_elem(&config, &zero);
  if (!cfg) return TC_ACT_OK;
  if (bpf_map_lookup_elem(&mirrored_flows, &key))
    bpf_clone_redirect(skb, cfg->mirror_ifindex, 0);
  return TC_ACT_OK;
}

SEC("tc")
int tc_vlan_forward(struct __sk_buff *skb) {
  __u32 zero = 0;
  struct port_config *cfg = bpf_map_lookup_elem(&config, &zero);
  if (!cfg) return TC_ACT_SHOT;
  if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), cfg->vlan_id) < 0) return TC_ACT_SHOT;
  return bpf_redirect(cfg->out_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
