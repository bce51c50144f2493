/* The host-environment helpers: the clocks, get_prandom_u32 and get_smp_processor_id. Each
 * run writes what they gave into the array map `seen` and counts itself in its CPU's slot
 * of the per-CPU array `runs`. */
#include "bpfjit_helpers.h"

char LICENSE[] SEC("license") = "GPL";

static __u64 (*bpf_jiffies64)(void) = (void *)118;
static __u64 (*bpf_ktime_get_boot_ns)(void) = (void *)125;
static __u64 (*bpf_ktime_get_coarse_ns)(void) = (void *)160;

struct host_seen {
  __u64 ktime;
  __u64 boot;
  __u64 coarse;
  __u64 jiffies;
  __u32 rand[2];
  __u32 cpu;
  __u32 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct host_seen);
} seen SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} runs SEC(".maps");

SEC("xdp")
int host_clock(struct xdp_md *ctx) {
  __u32 zero = 0;
  struct host_seen *s = bpf_map_lookup_elem(&seen, &zero);
  if (!s) return XDP_ABORTED;
  s->ktime = bpf_ktime_get_ns();
  s->boot = bpf_ktime_get_boot_ns();
  s->coarse = bpf_ktime_get_coarse_ns();
  s->jiffies = bpf_jiffies64();
  s->rand[0] = bpf_get_prandom_u32();
  s->rand[1] = bpf_get_prandom_u32();
  s->cpu = bpf_get_smp_processor_id();
  __u64 *n = bpf_map_lookup_elem(&runs, &zero);
  if (n) *n += 1;
  return XDP_PASS;
}
