/* Loops: a bounded C loop (sum of squares) and the same work through bpf_loop, whose
 * callback is a static function referenced by address (lddw of a code address). */
#include "bpfjit_helpers.h"

struct loop_ctx {
  const __u8 *bytes;
  __u32 len;
  __u64 acc;
};

static long square_step(__u32 index, void *data) {
  struct loop_ctx *lc = data;
  if (index >= lc->len || index >= 256) return 1; /* stop */
  __u64 b = lc->bytes[index & 0xff];
  lc->acc += b * b;
  return 0;
}

SEC("mem")
__u64 sum_squares(void *buf, __u64 len) {
  __u8 *p = buf;
  __u64 acc = 0;
  for (__u32 i = 0; i < 256; ++i) {
    if (i >= len) break;
    acc += (__u64)p[i] * p[i];
  }
  return acc;
}

SEC("mem")
__u64 sum_squares_loop(void *buf, __u64 len) {
  struct loop_ctx lc = {buf, len > 256 ? 256 : (__u32)len, 0};
  long n = bpf_loop(256, square_step, &lc, 0);
  return lc.acc * 1000 + (n & 0x3ff);
}

char LICENSE[] SEC("license") = "GPL";
