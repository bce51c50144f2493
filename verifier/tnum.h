// Known bits ("tristate numbers"): what is known about each bit of a 64-bit value.
//
// A Tnum {value, mask} stands for every x with (x & ~mask) == value: bits set in mask are
// unknown, the others are known and equal to the bits of value (value & mask == 0). The
// transfer functions over-approximate: the result contains every concrete result of the
// operation applied to members of the operands.
#pragma once

#include <cstdint>
#include <string>

namespace bpfjit::verifier {

struct Tnum {
  uint64_t value = 0;
  uint64_t mask = 0;

  static constexpr Tnum constant(uint64_t v) { return {v, 0}; }
  static constexpr Tnum unknown() { return {0, ~uint64_t{0}}; }
  // The smallest tnum holding every value in [min, max] (unsigned).
  static Tnum range(uint64_t min, uint64_t max);

  bool is_const() const { return mask == 0; }
  bool is_unknown() const { return mask == ~uint64_t{0}; }
  uint64_t min() const { return value; }
  uint64_t max() const { return value | mask; }
  // True when every member of `b` is a member of this tnum.
  bool contains(Tnum b) const;
  bool contains_value(uint64_t v) const { return (v & ~mask) == value; }
  bool operator==(const Tnum&) const = default;

  std::string to_string() const;
};

Tnum tnum_add(Tnum a, Tnum b);
Tnum tnum_sub(Tnum a, Tnum b);
Tnum tnum_and(Tnum a, Tnum b);
Tnum tnum_or(Tnum a, Tnum b);
Tnum tnum_xor(Tnum a, Tnum b);
Tnum tnum_mul(Tnum a, Tnum b);
Tnum tnum_neg(Tnum a);
Tnum tnum_lsh(Tnum a, uint32_t shift);
Tnum tnum_rsh(Tnum a, uint32_t shift);
// Arithmetic right shift of the low `width` (32 or 64) bits, result zero-extended.
Tnum tnum_arsh(Tnum a, uint32_t shift, uint32_t width);
// Both a and b hold the value: the bits known in either. `ok` is false when they disagree
// on a known bit (the intersection is empty).
Tnum tnum_intersect(Tnum a, Tnum b, bool* ok);
// A member of a or of b.
Tnum tnum_union(Tnum a, Tnum b);
// The low `bytes` bytes, zero-extended.
Tnum tnum_cast(Tnum a, uint32_t bytes);
// The low 32 bits / the high bits replaced by the low 32 bits of `sub`.
inline Tnum tnum_subreg(Tnum a) { return tnum_cast(a, 4); }
Tnum tnum_with_subreg(Tnum a, Tnum sub);

}  // namespace bpfjit::verifier
