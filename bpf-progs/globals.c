/* Global variables: a counter in .bss, a base value in .data, a table in .rodata and a
 * string in .rodata.str1.1. The program returns base + calls * step and keeps a running
 * total of the input bytes in .data. */
#include "bpfjit_helpers.h"

__u64 calls;                 /* .bss */
__u64 base = 1000;           /* .data */
__u64 byte_total = 0;        /* .bss */
static const __u32 steps[4] = {1, 10, 100, 1000}; /* .rodata */
const char greeting[] = "hello"; /* .rodata */

SEC("mem")
int globals(void *buf, __u64 len) {
  __u8 *p = buf;
  __u64 sum = 0;
  for (__u32 i = 0; i < 64 && i < len; ++i) sum += p[i];
  byte_total += sum;
  calls += 1;
  __u32 idx = calls & 3;
  return base + calls * steps[idx] + greeting[calls % 5];
}

char LICENSE[] SEC("license") = "GPL";
