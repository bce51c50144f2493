// Iteration through callbacks: bpf_loop summing a histogram, and bpf_for_each_map_elem
// finding the busiest bucket (raw tracepoint and tracepoint hooks of a profiler).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define BUCKETS 32

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, BUCKETS);
  __type(key, __u32);
  __type(value, __u64);
} histogram SEC(".maps");

struct sum_ctx {
  __u64 total;
};

static long add_bucket(__u32 index, void *data) {
  struct sum_ctx *c = data;
  __u32 key = index;
  __u64 *v = bpf_map_lookup_elem(&histogram, &key);
  if (v) c->total += *v;
  return 0;
}

__u64 last_total;

SEC("raw_tp/sys_enter")
int sum_histogram(void *ctx) {
  struct sum_ctx c = {};
  bpf_loop(BUCKETS, add_bucket, &c, 0);
  last_total = c.total;
  return 0;
}

struct max_ctx {
  __u32 key;
  __u64 max;
};

static long find_max(void *map, __u32 *key, __u64 *value, struct max_ctx *c) {
  if (*value > c->max) {
    c->max = *value;
    c->key = *key;
  }
  return 0;
}

__u32 busiest;

SEC("tracepoint/syscalls/sys_enter_write")
int busiest_bucket(void *ctx) {
  struct max_ctx c = {};
  bpf_for_each_map_elem(&histogram, find_max, &c, 0);
  busiest = c.key;
  return 0;
}

char LICENSE[] SEC("license") = "GPL";
