// An iproute2-era tc classifier: legacy `maps` definitions with the seven-field struct
// (id, pinning), a hash of blocked sources and a drop counter.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct bpf_elf_map {
  __u32 type;
  __u32 size_key;
  __u32 size_value;
  __u32 max_elem;
  __u32 flags;
  __u32 id;
  __u32 pinning;
};

struct bpf_elf_map SEC("maps") blocked_src = {
    .type = BPF_MAP_TYPE_HASH,
    .size_key = sizeof(__u32),
    .size_value = sizeof(__u32),
    .max_elem = 1024,
};

struct bpf_elf_map SEC("maps") drops = {
    .type = BPF_MAP_TYPE_ARRAY,
    .size_key = sizeof(__u32),
    .size_value = sizeof(__u64),
    .max_elem = 1,
};

SEC("classifier")
int cls_block(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return TC_ACT_OK;
  __u32 src = iph->saddr;
  if (!bpf_map_lookup_elem(&blocked_src, &src)) return TC_ACT_OK;
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&drops, &zero);
  if (n) __sync_fetch_and_add(n, 1);
  return TC_ACT_SHOT;
}

char __license[] SEC("license") = "GPL";
