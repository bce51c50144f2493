// In the style of the kernel's old samples/bpf: a socket filter counting bytes per IP
// protocol in a map declared the legacy way, a `struct bpf_map_def` in section "maps"
// (five fields), read with bpf_skb_load_bytes-style ld_abs loads.
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
  unsigned int map_flags;
};

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

struct bpf_map_def SEC("maps") proto_bytes = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 256,
};

SEC("socket1")
int bpf_prog1(struct __sk_buff *skb) {
  __u32 index = load_byte(skb, ETH_HLEN + offsetof(struct iphdr, protocol));
  __u64 *value = bpf_map_lookup_elem(&proto_bytes, &index);
  if (value) __sync_fetch_and_add(value, skb->len);
  return 0;
}

char _license[] SEC("license") = "GPL";
