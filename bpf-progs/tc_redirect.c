/* A tc program that sends copies of the packet to two devices (bpf_clone_redirect), sets
 * mark, priority and cb[] for the caller (ctx_out), and redirects the packet to the device
 * after its own (bpf_redirect). Section "action": a sched_act program. */
#include "bpfjit_net.h"

SEC("action")
int tc_redirect(struct __sk_buff *skb) {
  skb->cb[0] = bpf_clone_redirect(skb, 4, 0);
  skb->cb[1] = bpf_clone_redirect(skb, 9, BPF_F_INGRESS);
  skb->cb[2] = bpf_clone_redirect(skb, 9, 2); /* a bad flag: -EINVAL */
  skb->mark = 0x42;
  skb->priority = 7;
  skb->tc_index = 3; /* not in ctx_out */
  return bpf_redirect(skb->ifindex + 1, 0);
}

char LICENSE[] SEC("license") = "GPL";
