/* A bpf-to-bpf call chain: for every 8-byte word of the input, four nested non-inlined
 * functions each mix the value and call the next, so the time is mostly calls and
 * returns (stack frames, callee-saved registers). */
#include "bench_prog.h"

static __noinline __u64 level4(__u64 x, __u64 i) { return (x ^ (x >> 29)) + i; }
static __noinline __u64 level3(__u64 x, __u64 i) { return level4(x * 0xbf58476d1ce4e5b9ull, i) ^ i; }
static __noinline __u64 level2(__u64 x, __u64 i) { return level3(x + 0x9e3779b97f4a7c15ull, i + 1); }
static __noinline __u64 level1(__u64 x, __u64 i) { return level2(x ^ (x >> 31), i * 3); }

SEC("bench")
__u64 call_chain(__u8 *buf, __u64 len) {
  __u64 acc = 0;
  __u64 words = len / 8;
  if (words > 8192) words = 8192;
  for (__u64 i = 0; i < words; i++) {
    __u64 w = ((__u64 *)buf)[i];
    acc += level1(w ^ acc, i);
  }
  return acc;
}

BENCH_NATIVE_MAPS(call_chain, 0);
BENCH_NATIVE_FNS(call_chain, BENCH_FN(call_chain));
BENCH_LICENSE;
