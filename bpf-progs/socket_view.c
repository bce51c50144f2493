/* What a socket filter sees in the kernel's test run, for comparison with it: the packet
 * from its network header (the Ethernet header is pulled before the run), read with
 * bpf_skb_load_bytes and the legacy packet loads (LD_ABS, LD_IND), and the __sk_buff
 * fields a socket filter may read; cb[] is written back (ctx_out shows it). Slots of the
 * array map `out`; returns the number of bytes to keep (len, or 0 for ARP). */
#include "bpfjit_net.h"

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u64);
} out SEC(".maps");

static __always_inline void put(__u32 slot, __u64 v) {
  __u64 *p = bpf_map_lookup_elem(&out, &slot);
  if (p) *p = v;
}

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

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
  /* legacy loads: a failed one ends the program with 0 */
  put(13, load_byte(skb, 0));
  put(14, load_half(skb, 2));
  if (skb->protocol == bpf_htons(ETH_P_IP)) {
    put(15, load_word(skb, 12));
    __u32 ihl = (load_byte(skb, 0) & 0xf) * 4;
    put(16, load_half(skb, ihl + 2));
  }
  skb->cb[1] = skb->len;
  skb->cb[2] = skb->cb[0] + 1;
  if (skb->protocol == bpf_htons(0x0806)) return 0;
  return skb->len;
}

char LICENSE[] SEC("license") = "GPL";
