// The abstract value of a scalar register: signed and unsigned 64-bit ranges, the same for
// the low 32-bit subregister, and the known bits (Tnum). The five views describe the same
// set of values; normalize() lets each one tighten the others (a range narrows the known
// bits, known bits narrow the ranges, the 64-bit ranges narrow the 32-bit ones and back).
//
// The ALU transfer functions over-approximate the concrete operations of
// runtime/isa/semantics.h (and use them directly when both operands are constants). The
// branch functions decide a conditional jump when the ranges allow it and otherwise narrow
// both operands on each side of the jump, at 64 or 32 bits, for every JmpCond.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/isa/isa.h"
#include "verifier/tnum.h"

namespace bpfjit::verifier {

struct Scalar {
  Tnum var = Tnum::unknown();
  uint64_t umin = 0, umax = UINT64_MAX;
  int64_t smin = INT64_MIN, smax = INT64_MAX;
  uint32_t u32min = 0, u32max = UINT32_MAX;
  int32_t s32min = INT32_MIN, s32max = INT32_MAX;

  static Scalar unknown() { return {}; }
  static Scalar constant(uint64_t v);
  // Every value in [lo, hi] (unsigned).
  static Scalar urange(uint64_t lo, uint64_t hi);

  bool is_const() const { return var.is_const(); }
  uint64_t value() const { return var.value; }
  bool is_unknown() const;
  bool may_be_zero() const { return umin == 0; }

  // Lets the views tighten each other. False when the set is empty (an impossible path).
  [[nodiscard]] bool normalize();
  // True when every value of `b` is a value of this scalar (used to prune states).
  bool contains(const Scalar& b) const;
  // The values of either.
  Scalar join(const Scalar& b) const;
  bool operator==(const Scalar&) const = default;

  // "0x10", "[0, 255]" or the full view for the verbose log.
  std::string to_string() const;
};

// dst = dst op src at `width` bits (32: the low halves, result zero-extended).
Scalar scalar_alu(AluOp op, const Scalar& dst, const Scalar& src, uint32_t width);
Scalar scalar_neg(const Scalar& a, uint32_t width);
// Sign-extends the low `from` bits, then truncates to `to` (32 or 64).
Scalar scalar_movsx(const Scalar& a, uint32_t from, uint32_t to);
Scalar scalar_endian(EndianOp op, const Scalar& a, uint32_t width);
// The low `bytes` bytes, zero-extended (loads, 32-bit results).
Scalar scalar_truncate(const Scalar& a, uint32_t bytes);
// Every value a `bytes`-wide load can give, zero- or sign-extended.
Scalar scalar_load(uint32_t bytes, bool sign_extend);

// 1 when the jump is taken for every value, 0 when for none, -1 when it depends.
int scalar_branch(JmpCond cond, const Scalar& a, const Scalar& b, uint32_t width);
// Narrows a and b to the values for which `a cond b` is `taken`. False when no values are
// left (the branch cannot be taken that way).
[[nodiscard]] bool scalar_refine(JmpCond cond, bool taken, Scalar& a, Scalar& b,
                                 uint32_t width);

}  // namespace bpfjit::verifier
