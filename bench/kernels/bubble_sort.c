/* Sorts the input's u32 values in place (at most 4096 of them) with bubble sort and returns
 * a positional checksum of the result, so a wrong order gives a different value. */
#include "kernel_def.h"

KERNEL(bubble_sort) {
  u32 *a = (u32 *)buf;
  u64 n = len / 4;
  if (n > 4096) n = 4096;
  for (u64 i = 0; i + 1 < n; i++) {
    for (u64 j = 0; j + 1 < n - i; j++) {
      u32 x = a[j], y = a[j + 1];
      if (x > y) {
        a[j] = y;
        a[j + 1] = x;
      }
    }
  }
  u64 sum = 0;
  for (u64 i = 0; i < n; i++) sum = sum * 31 + a[i];
  return sum;
}
