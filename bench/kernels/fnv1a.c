/* The 64-bit FNV-1a hash of the whole input: a byte load, xor and multiply per byte. */
#include "kernel_def.h"

KERNEL(fnv1a) {
  u64 h = 14695981039346656037ull;
  for (u64 i = 0; i < len; i++) {
    h ^= buf[i];
    h *= 1099511628211ull;
  }
  return h;
}
