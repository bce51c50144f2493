/* An object whose only code is in .text: its global functions are the programs. */
#include "bpfjit_helpers.h"

int add_one(void *buf, __u64 len) { return (int)len + 1; }

int first_byte(void *buf, __u64 len) {
  if (len < 1) return -1;
  return *(volatile __u8 *)buf;
}

static __noinline int helper_local(int x) { return x * 3; }

int triple_len(void *buf, __u64 len) { return helper_local((int)len); }
