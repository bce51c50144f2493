// The kernel's Internet checksum arithmetic (include/net/checksum.h and x86-64's
// arch/x86/lib/csum-partial_64.c), bit for bit, for the checksum helpers. The values are
// what the kernel's __wsum and __sum16 hold: 32- and 16-bit words as they lie in memory,
// loaded in the host's (little-endian) order; no byte swapping anywhere.
#pragma once

#include <cstddef>
#include <cstdint>

namespace bpfjit::csum {

// csum_add: 32-bit one's complement addition (end-around carry).
constexpr uint32_t add(uint32_t a, uint32_t b) {
  const uint32_t r = a + b;
  return r + (r < b ? 1u : 0u);
}
// csum_sub.
constexpr uint32_t sub(uint32_t a, uint32_t b) { return add(a, ~b); }
// csum_fold: the 32-bit partial sum folded to 16 bits and complemented.
constexpr uint16_t fold(uint32_t sum) {
  uint32_t s = (sum & 0xffff) + (sum >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}
// csum_unfold.
constexpr uint32_t unfold(uint16_t n) { return n; }
// csum16_add.
constexpr uint16_t add16(uint16_t csum, uint16_t addend) {
  const uint16_t r = static_cast<uint16_t>(csum + addend);
  return static_cast<uint16_t>(r + (r < addend ? 1 : 0));
}
// csum_from32to16: a 32-bit partial sum folded to 16 bits (not complemented).
constexpr uint16_t from32to16(uint32_t sum) {
  sum += (sum >> 16) | (sum << 16);
  return static_cast<uint16_t>(sum >> 16);
}

// csum_replace_by_diff: adds a 32-bit difference to a stored checksum.
constexpr uint16_t replace_by_diff(uint16_t sum, uint32_t diff) {
  return fold(add(diff, ~unfold(sum)));
}
// csum_replace4: a checksum after a 32-bit word changed from `from` to `to`.
constexpr uint16_t replace4(uint16_t sum, uint32_t from, uint32_t to) {
  return fold(add(sub(~unfold(sum), from), to));
}
// csum_replace2: the same for a 16-bit word.
constexpr uint16_t replace2(uint16_t sum, uint16_t from, uint16_t to) {
  return static_cast<uint16_t>(~add16(add16(static_cast<uint16_t>(~sum),
                                            static_cast<uint16_t>(~from)),
                                      to));
}

// csum_partial as x86-64 computes it: the 32-bit partial sum of `len` bytes, added to
// `seed`. The result is the kernel's exactly (its carries and its fold), not only the same
// value modulo 0xffff.
uint32_t partial(const void* buf, size_t len, uint32_t seed);

}  // namespace bpfjit::csum
