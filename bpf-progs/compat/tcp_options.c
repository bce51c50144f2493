// TC ingress: walks the TCP options of a SYN to find the MSS option and clamps it (a
// typical tunnel-MTU fixup). tc_mss_clamp steps through the option bytes in a loop of up
// to 40 iterations with every read checked (the kernel gives up on it: too many states);
// tc_mss_clamp_unrolled reads at most eight options with the loop unrolled, the way
// production datapaths keep such parsers within the kernel's limits.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_OPT_BYTES 40
#define MSS_CLAMP 1400

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} clamped SEC(".maps");

SEC("tc")
int tc_mss_clamp(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return TC_ACT_OK;
  if (iph->protocol != IPPROTO_TCP || iph->ihl != 5) return TC_ACT_OK;
  struct tcphdr *tcp = (void *)(iph + 1);
  if ((void *)(tcp + 1) > data_end) return TC_ACT_OK;
  if (!tcp->syn) return TC_ACT_OK;
  __u8 *opt = (void *)(tcp + 1);
  for (int i = 0; i < MAX_OPT_BYTES; i++) {
    if ((void *)(opt + 1) > data_end) break;
    __u8 kind = opt[0];
    if (kind == 0) break;
    if (kind == 1) {
      opt++;
      continue;
    }
    if ((void *)(opt + 2) > data_end) break;
    __u8 len = opt[1];
    if (len < 2) break;
    if (kind == 2 && len == 4) {
      if ((void *)(opt + 4) > data_end) break;
      __u16 mss = (opt[2] << 8) | opt[3];
      if (mss > MSS_CLAMP) {
        opt[2] = MSS_CLAMP >> 8;
        opt[3] = MSS_CLAMP & 0xff;
        __u32 key = 0;
        __u64 *n = bpf_map_lookup_elem(&clamped, &key);
        if (n) __sync_fetch_and_add(n, 1);
      }
      break;
    }
    opt += len;
  }
  return TC_ACT_OK;
}

#define MAX_OPTIONS 8

SEC("tc")
int tc_mss_clamp_unrolled(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *data_end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  struct iphdr *iph = (void *)(eth + 1);
  if ((void *)(iph + 1) > data_end) return TC_ACT_OK;
  if (iph->protocol != IPPROTO_TCP || iph->ihl != 5) return TC_ACT_OK;
  struct tcphdr *tcp = (void *)(iph + 1);
  if ((void *)(tcp + 1) > data_end) return TC_ACT_OK;
  if (!tcp->syn || tcp->doff <= 5) return TC_ACT_OK;
  __u32 off = 0;
#pragma unroll
  for (int i = 0; i < MAX_OPTIONS; i++) {
    __u8 *opt = (__u8 *)(tcp + 1) + off;
    if ((void *)(opt + 4) > data_end) break;
    if (opt[0] == 0) break;
    if (opt[0] == 1) {
      off += 1;
      continue;
    }
    if (opt[0] == 2 && opt[1] == 4) {
      __u16 mss = (opt[2] << 8) | opt[3];
      if (mss > MSS_CLAMP) {
        opt[2] = MSS_CLAMP >> 8;
        opt[3] = MSS_CLAMP & 0xff;
      }
      break;
    }
    if (opt[1] < 2) break;
    off += opt[1];
    if (off > 36) break;
  }
  return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
