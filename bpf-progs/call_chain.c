/* bpf-to-bpf calls: a chain of non-inlined functions in .text, shared by two programs in
 * custom sections. Each program is linked with exactly the functions it reaches. */
#include "bpfjit_helpers.h"

__noinline __u64 mix(__u64 h, __u64 v) {
  h ^= v;
  h *= 0x100000001b3ULL;
  return h;
}

__noinline __u64 hash_words(const __u32 *words, __u32 n) {
  __u64 h = 0xcbf29ce484222325ULL;
  for (__u32 i = 0; i < 16; ++i) {
    if (i >= n) break;
    h = mix(h, words[i]);
  }
  return h;
}

__noinline __u64 fold(__u64 h) { return (h >> 32) ^ (h & 0xffffffff); }

__noinline __u64 checksum(const __u32 *words, __u32 n) { return fold(hash_words(words, n)); }

__noinline __u32 max_word(const __u32 *words, __u32 n) {
  __u32 m = 0;
  for (__u32 i = 0; i < 16; ++i) {
    if (i >= n) break;
    if (words[i] > m) m = words[i];
  }
  return m;
}

SEC("mem/checksum")
__u64 word_checksum(void *buf, __u64 len) {
  if (len < 4) return 0;
  __u32 n = len / 4;
  if (n > 16) n = 16;
  return checksum(buf, n);
}

SEC("mem/max")
__u64 word_max(void *buf, __u64 len) {
  if (len < 4) return 0;
  __u32 n = len / 4;
  if (n > 16) n = 16;
  return max_word(buf, n) + fold(0x0000000500000003ULL);
}

char LICENSE[] SEC("license") = "GPL";
