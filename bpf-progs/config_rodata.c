/* Configuration read from .rodata: the host may rewrite these constants before it prepares
 * the program (as a libbpf skeleton does). Counts input bytes above the threshold and, in
 * mode 1, returns their sum instead. */
#include "bpfjit_helpers.h"

const volatile __u32 threshold = 100;
const volatile __u32 mode = 0;
const volatile __u32 limit = 256;

SEC("mem")
int above_threshold(void *buf, __u64 len) {
  __u8 *p = buf;
  __u32 n = 0;
  __u32 sum = 0;
  __u32 max = limit;
  if (max > 1024) max = 1024;
  for (__u32 i = 0; i < 1024; ++i) {
    if (i >= max || i >= len) break;
    if (p[i] > threshold) {
      n++;
      sum += p[i];
    }
  }
  return mode == 1 ? sum : n;
}

char LICENSE[] SEC("license") = "GPL";
