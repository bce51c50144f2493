/* A counted loop of a 64-bit LCG: one multiply and add per step, no memory. The seed comes
 * from the input so that nothing is known at compile time. */
#include "kernel_def.h"

KERNEL(count_loop) {
  u64 x = len >= 8 ? *(u64 *)buf : 1;
  u64 high = 0;
  for (u32 i = 0; i < 1000000; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    high += x >> 63;
  }
  return x ^ high;
}
