// Socket-level hooks of a service-mesh accelerator: sock_ops records established
// connections in a sockhash, sk_skb/stream_verdict redirects between sockets through it,
// sk_msg counts sent bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct sock_key {
  __u32 sip;
  __u32 dip;
  __u32 sport;
  __u32 dport;
};

struct {
  __uint(type, BPF_MAP_TYPE_SOCKHASH);
  __uint(max_entries, 65535);
  __type(key, struct sock_key);
  __type(value, __u32);
} sock_hash SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} msg_bytes SEC(".maps");

SEC("sockops")
int sockops_record(struct bpf_sock_ops *skops) {
  if (skops->family != 2 /* AF_INET */) return 0;
  if (skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
      skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
    return 0;
  struct sock_key key = {
      .sip = skops->local_ip4,
      .dip = skops->remote_ip4,
      .sport = skops->local_port,
      .dport = bpf_ntohl(skops->remote_port),
  };
  bpf_sock_hash_update(skops, &sock_hash, &key, BPF_NOEXIST);
  return 0;
}

SEC("sk_skb/stream_verdict")
int skskb_verdict(struct __sk_buff *skb) {
  struct sock_key key = {
      .sip = skb->remote_ip4,
      .dip = skb->local_ip4,
      .sport = bpf_ntohl(skb->remote_port),
      .dport = skb->local_port,
  };
  return bpf_sk_redirect_hash(skb, &sock_hash, &key, 0);
}

SEC("sk_msg")
int skmsg_count(struct sk_msg_md *msg) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&msg_bytes, &zero);
  if (n) __sync_fetch_and_add(n, msg->size);
  return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
