// Longest-prefix-match classifier on TC ingress: source prefixes map to a class id that
// is written to skb->tc_classid (the way network policy engines tag traffic).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ipv4_lpm_key {
  __u32 prefixlen;
  __u32 addr;
};

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __uint(max_entries, 1024);
  __type(key, struct ipv4_lpm_key);
  __type(value, __u32);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} prefix_class SEC(".maps");

SEC("tc")
int tc_lpm_classify(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return TC_ACT_OK;
  struct ipv4_lpm_key key = {.prefixlen = 32, .addr = iph->saddr};
  __u32 *cls = bpf_map_lookup_elem(&prefix_class, &key);
  if (!cls) return TC_ACT_OK;
  skb->tc_classid = *cls;
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
