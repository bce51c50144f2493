// Known-bits arithmetic. The carry-propagation formulas for add and sub follow the
// classic construction (compute the sum of the minimum and maximum members, every bit where
// they or the operands' unknown bits differ is unknown); mul is shift-and-add over the
// multiplier's bits.
#include "verifier/tnum.h"

#include <fmt/format.h>

#include <bit>

namespace bpfjit::verifier {

Tnum Tnum::range(uint64_t min, uint64_t max) {
  if (min > max) return unknown();
  uint64_t chi = min ^ max;
  int bits = chi == 0 ? 0 : 64 - std::countl_zero(chi);
  if (bits >= 64) return unknown();
  uint64_t delta = (uint64_t{1} << bits) - 1;
  return {min & ~delta, delta};
}

bool Tnum::contains(Tnum b) const {
  if (b.mask & ~mask) return false;  // b has an unknown bit this one knows
  return (b.value & ~mask) == value;
}

std::string Tnum::to_string() const {
  if (is_const()) return fmt::format("{:#x}", value);
  return fmt::format("({:#x}; {:#x})", value, mask);
}

Tnum tnum_add(Tnum a, Tnum b) {
  uint64_t sm = a.mask + b.mask;
  uint64_t sv = a.value + b.value;
  uint64_t sigma = sm + sv;
  uint64_t chi = sigma ^ sv;
  uint64_t mu = chi | a.mask | b.mask;
  return {sv & ~mu, mu};
}

Tnum tnum_sub(Tnum a, Tnum b) {
  uint64_t dv = a.value - b.value;
  uint64_t alpha = dv + a.mask;
  uint64_t beta = dv - b.mask;
  uint64_t chi = alpha ^ beta;
  uint64_t mu = chi | a.mask | b.mask;
  return {dv & ~mu, mu};
}

Tnum tnum_and(Tnum a, Tnum b) {
  uint64_t alpha = a.value | a.mask;
  uint64_t beta = b.value | b.mask;
  uint64_t v = a.value & b.value;
  return {v, alpha & beta & ~v};
}

Tnum tnum_or(Tnum a, Tnum b) {
  uint64_t v = a.value | b.value;
  uint64_t mu = a.mask | b.mask;
  return {v, mu & ~v};
}

Tnum tnum_xor(Tnum a, Tnum b) {
  uint64_t v = a.value ^ b.value;
  uint64_t mu = a.mask | b.mask;
  return {v & ~mu, mu};
}

Tnum tnum_mul(Tnum a, Tnum b) {
  // Sum of the known products plus, for each bit of a, either b (known set) or an unknown
  // contribution as wide as b (unknown bit).
  Tnum acc_v = Tnum::constant(a.value * b.value);
  Tnum acc_m = Tnum::constant(0);
  while (a.value || a.mask) {
    if (a.value & 1) {
      acc_m = tnum_add(acc_m, Tnum{0, b.mask});
    } else if (a.mask & 1) {
      acc_m = tnum_add(acc_m, Tnum{0, b.value | b.mask});
    }
    a = tnum_rsh(a, 1);
    b = tnum_lsh(b, 1);
  }
  return tnum_add(acc_v, acc_m);
}

Tnum tnum_neg(Tnum a) { return tnum_sub(Tnum::constant(0), a); }

Tnum tnum_lsh(Tnum a, uint32_t shift) {
  if (shift >= 64) return Tnum::constant(0);
  return {a.value << shift, a.mask << shift};
}

Tnum tnum_rsh(Tnum a, uint32_t shift) {
  if (shift >= 64) return Tnum::constant(0);
  return {a.value >> shift, a.mask >> shift};
}

Tnum tnum_arsh(Tnum a, uint32_t shift, uint32_t width) {
  if (width == 32) {
    auto v = static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(a.value)) >>
                                   (shift & 31));
    auto m = static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(a.mask)) >>
                                   (shift & 31));
    return {v, m};
  }
  return {static_cast<uint64_t>(static_cast<int64_t>(a.value) >> (shift & 63)),
          static_cast<uint64_t>(static_cast<int64_t>(a.mask) >> (shift & 63))};
}

Tnum tnum_intersect(Tnum a, Tnum b, bool* ok) {
  uint64_t known_both = ~a.mask & ~b.mask;
  if (ok) *ok = ((a.value ^ b.value) & known_both) == 0;
  uint64_t v = a.value | b.value;
  uint64_t mu = a.mask & b.mask;
  return {v & ~mu, mu};
}

Tnum tnum_union(Tnum a, Tnum b) {
  uint64_t mu = a.mask | b.mask | (a.value ^ b.value);
  return {a.value & ~mu, mu};
}

Tnum tnum_cast(Tnum a, uint32_t bytes) {
  if (bytes >= 8) return a;
  uint64_t keep = (uint64_t{1} << (bytes * 8)) - 1;
  return {a.value & keep, a.mask & keep};
}

Tnum tnum_with_subreg(Tnum a, Tnum sub) {
  constexpr uint64_t kHigh = 0xffffffff00000000ULL;
  return tnum_or(Tnum{a.value & kHigh, a.mask & kHigh}, tnum_subreg(sub));
}

}  // namespace bpfjit::verifier
