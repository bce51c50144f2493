/* Counts the primes below the limit held in the input's first 4 bytes (at most 100000) by
 * trial division: a loop of 32-bit modulo operations. */
#include "kernel_def.h"

KERNEL(primes) {
  u32 limit = len >= 4 ? *(u32 *)buf : 0;
  if (limit > 100000) limit = 100000;
  u64 count = 0;
  for (u32 n = 2; n < limit; n++) {
    u32 prime = 1;
    for (u32 d = 2; d * d <= n; d++) {
      if (n % d == 0) {
        prime = 0;
        break;
      }
    }
    count += prime;
  }
  return count;
}
