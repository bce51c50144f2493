/* Global data in custom sections (.data.NAME, .rodata.NAME), one data image each, as
 * libbpf maps them. */
#include "bpfjit_helpers.h"

__u64 hits SEC(".data.counters") = 100;
__u64 bytes SEC(".data.counters") = 0;
const volatile __u32 multiplier SEC(".rodata.cfg") = 3;
const volatile __u32 offset SEC(".rodata.cfg") = 5;

SEC("mem")
int scaled(void *buf, __u64 len) {
  hits += 1;
  bytes += len;
  return (int)(len * multiplier + offset);
}

char LICENSE[] SEC("license") = "GPL";
