/* Sums floor(log2(v)) over the input's u64 values, each found by a branchy binary search. */
#include "kernel_def.h"

static inline __attribute__((always_inline)) u64 ilog2(u64 v) {
  u64 r = 0;
  if (v >> 32) { v >>= 32; r += 32; }
  if (v >> 16) { v >>= 16; r += 16; }
  if (v >> 8) { v >>= 8; r += 8; }
  if (v >> 4) { v >>= 4; r += 4; }
  if (v >> 2) { v >>= 2; r += 2; }
  if (v >> 1) r += 1;
  return r;
}

KERNEL(log2) {
  const u64 *w = (const u64 *)buf;
  u64 n = len / 8;
  u64 sum = 0;
  for (u64 i = 0; i < n; i++) sum += ilog2(w[i] | 1);
  return sum;
}
