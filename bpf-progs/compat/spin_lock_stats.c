// Per-flow byte and packet counters updated together under a bpf_spin_lock in the map
// value (a cgroup_skb accounting hook).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_stats {
  struct bpf_spin_lock lock;
  __u64 packets;
  __u64 bytes;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 1024);
  __type(key, __u32);
  __type(value, struct flow_stats);
} cgroup_flows SEC(".maps");

SEC("cgroup_skb/ingress")
int account_ingress(struct __sk_buff *skb) {
  __u32 key = skb->ifindex;
  struct flow_stats *st = bpf_map_lookup_elem(&cgroup_flows, &key);
  if (!st) {
    struct flow_stats init = {};
    bpf_map_update_elem(&cgroup_flows, &key, &init, BPF_NOEXIST);
    st = bpf_map_lookup_elem(&cgroup_flows, &key);
    if (!st) return 1;
  }
  bpf_spin_lock(&st->lock);
  st->packets++;
  st->bytes += skb->len;
  bpf_spin_unlock(&st->lock);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";
