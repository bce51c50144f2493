/* What a socket filter sees in the kernel's test run, for comparison with it: the packet
 * from its network header (the Ethernet header is pulled before the run), read with
 * bpf_skb_load_bytes (bpfjit's engines do not run the legacy LD_ABS/LD_IND loads), and the
 * __sk_buff fields a socket filter may read; cb[] is written back (ctx_out shows it).
 * Slots of the array map `out`; returns the number of bytes to keep (len, or 0 for ARP). */
#include "bpfjit_net.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} out SEC(".maps");

/* A map update, not a lookup and a store: no branch, so the verifier's paths do not
 * double at every slot. */
static __always_inline void put(__u32 slot, __u64 v) { bpf_map_update_elem(&out, &slot, &v, 0); }

SEC("socket")
int socket_view(struct __sk_buff *skb) {
  put(0, skb->len);
  put(1, skb->pkt_type);
  put(2, skb->mark);
  put(3, skb->protocol);
  put(4, skb->priority);
  put(5, skb->ingress_ifindex);
  put(6, skb->ifindex);
  put(7, skb->cb[0] | (__u64)skb->cb[4] << 32);
  put(8, skb->vlan_present);
  __u64 v = 0;
  put(9, bpf_skb_load_bytes(skb, 0, &v, 8));
  put(10, v);
  v = 0;
  put(11, bpf_skb_load_bytes(skb, skb->len - 2, &v, 4));
  put(12, v);
  __u8 first = 0;
  put(13, bpf_skb_load_bytes(skb, 0, &first, 1));
  if (skb->protocol == bpf_htons(ETH_P_IP)) {
    __u32 ihl = (first & 0xf) * 4;
    __u16 port = 0;
    put(14, bpf_skb_load_bytes(skb, ihl + 2, &port, 2));
    put(15, port);
  }
  skb->cb[1] = skb->len;
  skb->cb[2] = skb->cb[0] + 1;
  if (skb->protocol == bpf_htons(0x0806)) return 0;
  return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
