// Sampling packet headers to user space with bpf_perf_event_output on a perf_event_array
// (the pre-ringbuf way, as in the XDP tutorials' packet capture lesson), and a perf_event
// program counting samples per CPU.
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct sample_meta {
  __u16 cookie;
  __u16 pkt_len;
};

SEC("xdp")
int xdp_sample(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  struct sample_meta meta = {.cookie = 0xdead, .pkt_len = (__u16)(data_end - data)};
  __u64 flags = BPF_F_CURRENT_CPU | ((__u64)(meta.pkt_len < 64 ? meta.pkt_len : 64) << 32);
  bpf_perf_event_output(ctx, &samples, flags, &meta, sizeof(meta));
  return XDP_PASS;
}

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} cycles SEC(".maps");

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx) {
  __u32 zero = 0;
  __u64 *n = bpf_map_lookup_elem(&cycles, &zero);
  if (n) *n += ctx->sample_period;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
