/* A loop calling small functions that are not inlined (bpf-to-bpf calls in BPF, calls in
 * native code): per 8-byte word, a mix step, a clamp and a checksum fold, each its own
 * function. The callees sit in the kernel's section after it, so the program needs no
 * relocations (the calls are pc-relative within it). */
#include "kernel_def.h"

#ifdef __bpf__
#define CALLEE static __attribute__((noinline, section("kernel"), used))
#else
#define CALLEE static __attribute__((noinline))
#endif

CALLEE u64 mix(u64 h, u64 v);
CALLEE u64 clamp(u64 v, u64 lo, u64 hi);
CALLEE u64 fold(u64 acc, u64 v);

KERNEL(calls) {
  const u64 *w = (const u64 *)buf;
  u64 n = len / 8;
  u64 h = 0x9e3779b97f4a7c15ull;
  u64 acc = 0;
  for (u64 i = 0; i < n; i++) {
    h = mix(h, w[i]);
    acc = fold(acc, clamp(h >> 40, 1000, 9000000));
  }
  return acc ^ h;
}

CALLEE u64 mix(u64 h, u64 v) {
  h ^= v;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 29);
}

CALLEE u64 clamp(u64 v, u64 lo, u64 hi) {
  if (v < lo) return lo;
  if (v > hi) return hi;
  return v;
}

CALLEE u64 fold(u64 acc, u64 v) { return (acc << 5) + (acc >> 3) + v; }
