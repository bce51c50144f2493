/* Compares the two NUL-terminated strings that fill the input's halves, byte by byte as C's
 * strcmp does, and returns the difference at the first mismatch mixed with its position. */
#include "kernel_def.h"

KERNEL(strcmp) {
  u64 half = len / 2;
  const u8 *a = buf, *b = buf + half;
  u64 i = 0;
  for (; i < half; i++) {
    if (a[i] != b[i] || a[i] == 0) break;
  }
  if (i == half) return 0;
  return (u64)((s64)a[i] - (s64)b[i]) ^ (i << 8);
}
