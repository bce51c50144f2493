/* Several programs in one object, in the section names the kernel's loaders know (tc,
 * classifier, socket, xdp) and in custom ones, sharing one .text function. */
#include "bpfjit_net.h"

__u64 seen = 0; /* .data shared by every program of the object */

__noinline __u32 classify_len(__u32 len) {
  if (len < 64) return 1;
  if (len < 512) return 2;
  return 3;
}

SEC("tc")
int tc_classify(struct __sk_buff *skb) {
  seen++;
  return classify_len(skb->len);
}

SEC("classifier")
int cls_mark(struct __sk_buff *skb) {
  seen++;
  return classify_len(skb->len) * 10 + (skb->mark & 0xf);
}

SEC("xdp")
int xdp_len_class(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  seen++;
  return classify_len(data_end - data) == 3 ? XDP_DROP : XDP_PASS;
}

SEC("custom/sum")
__u64 custom_sum(void *buf, __u64 len) {
  seen++;
  return classify_len(len) + len;
}

char LICENSE[] SEC("license") = "GPL";
