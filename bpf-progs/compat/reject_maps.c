// Map-value bugs the kernel refuses: an index into a value that is not checked against
// its size, a lookup result used without the null check, a ring buffer reservation that
// is neither submitted nor discarded, and a spin lock still held at exit.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct slots {
  __u64 v[8];
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __type(value, struct slots);
} table SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 4096);
} rb SEC(".maps");

struct locked {
  struct bpf_spin_lock lock;
  __u64 n;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct locked);
} locked_map SEC(".maps");

SEC("xdp")
int xdp_value_oob(struct xdp_md *ctx) {
  __u32 key = 0;
  struct slots *s = bpf_map_lookup_elem(&table, &key);
  if (!s) return XDP_PASS;
  __u32 i = ctx->rx_queue_index;
  if (i > 8) return XDP_PASS; /* off by one: 8 is past the end */
  s->v[i] += 1;
  return XDP_PASS;
}

SEC("xdp")
int xdp_no_null_check(struct xdp_md *ctx) {
  __u32 key = 1;
  struct slots *s = bpf_map_lookup_elem(&table, &key);
  s->v[0] += 1;
  return XDP_PASS;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tp_ringbuf_leak(void *ctx) {
  __u64 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
  if (!e) return 0;
  *e = bpf_ktime_get_ns();
  if (*e & 1) bpf_ringbuf_submit(e, 0);
  return 0;
}

SEC("tc")
int tc_lock_held(struct __sk_buff *skb) {
  __u32 key = 0;
  struct locked *l = bpf_map_lookup_elem(&locked_map, &key);
  if (!l) return 0;
  bpf_spin_lock(&l->lock);
  l->n++;
  if (skb->len > 100) return 0;
  bpf_spin_unlock(&l->lock);
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
