// Flow events through a BPF ring buffer: reserve, fill, submit (or discard on a filter),
// from a cgroup_skb egress hook; bpf_ringbuf_output for the small record.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_event {
  __u32 len;
  __u32 protocol;
  __u64 ts;
};

struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("cgroup_skb/egress")
int egress_events(struct __sk_buff *skb) {
  struct flow_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
  if (!e) return 1;
  e->len = skb->len;
  e->protocol = skb->protocol;
  e->ts = bpf_ktime_get_ns();
  if (e->len < 64)
    bpf_ringbuf_discard(e, 0);
  else
    bpf_ringbuf_submit(e, 0);
  return 1;
}

SEC("cgroup_skb/ingress")
int ingress_events(struct __sk_buff *skb) {
  __u32 len = skb->len;
  bpf_ringbuf_output(&events, &len, sizeof(len), 0);
  return 1;
}

char LICENSE[] SEC("license") = "GPL";
