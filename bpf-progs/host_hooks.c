/* A hook that leans on its host: it prints its input length with bpf_trace_printk and
 * combines two values of helper 7 (bpf_get_prandom_u32, which a host may replace with its
 * own helper). The embedding tests use it for host helpers, user data and log sinks. */
#include "bpfjit_helpers.h"

SEC("mem")
int host_hooks(void *buf, __u64 len) {
  char fmt[] = "host_hooks: %d bytes";
  bpf_trace_printk(fmt, sizeof(fmt), (int)len, 0, 0);
  __u32 a = bpf_get_prandom_u32();
  __u32 b = bpf_get_prandom_u32();
  return a * 100 + b;
}

char LICENSE[] SEC("license") = "GPL";
