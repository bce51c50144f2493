// Unit tests of the verifier's abstract domains: known bits (Tnum) and scalar ranges.
// Besides hand-picked cases, each transfer function is checked for soundness on random
// abstract values: every concrete result of the operation on members of the operands
// (computed with runtime/isa/semantics.h) must be a member of the abstract result.
#include <gtest/gtest.h>

#include <random>

#include "runtime/isa/semantics.h"
#include "verifier/scalar.h"
#include "verifier/tnum.h"

namespace bpfjit::verifier {
namespace {

bool member(const Scalar& s, uint64_t v) {
  auto sv = static_cast<int64_t>(v);
  auto v32 = static_cast<uint32_t>(v);
  auto s32 = static_cast<int32_t>(v32);
  return s.var.contains_value(v) && v >= s.umin && v <= s.umax && sv >= s.smin &&
         sv <= s.smax && v32 >= s.u32min && v32 <= s.u32max && s32 >= s.s32min &&
         s32 <= s.s32max;
}

TEST(TnumTest, RangeCoversBothEnds) {
  Tnum t = Tnum::range(5, 12);
  for (uint64_t v = 5; v <= 12; ++v) EXPECT_TRUE(t.contains_value(v)) << v;
  EXPECT_EQ(t.value, 0u);
  EXPECT_EQ(t.mask, 15u);
  EXPECT_TRUE(Tnum::range(7, 7).is_const());
}

TEST(TnumTest, AddOfConstantsIsConstant) {
  Tnum t = tnum_add(Tnum::constant(40), Tnum::constant(2));
  EXPECT_TRUE(t.is_const());
  EXPECT_EQ(t.value, 42u);
}

TEST(TnumTest, AndWithMaskClearsHighBits) {
  Tnum t = tnum_and(Tnum::unknown(), Tnum::constant(0xff));
  EXPECT_EQ(t.max(), 0xffu);
  EXPECT_EQ(t.min(), 0u);
}

TEST(TnumTest, IntersectDetectsConflict) {
  bool ok = true;
  tnum_intersect(Tnum::constant(1), Tnum::constant(2), &ok);
  EXPECT_FALSE(ok);
  Tnum t = tnum_intersect(Tnum{0, 0xf}, Tnum{0x10, 0x3}, &ok);
  EXPECT_FALSE(ok);  // bit 4 known 0 in the first, known 1 in the second
  t = tnum_intersect(Tnum{0, 0xff}, Tnum{0x4, 0x3}, &ok);
  EXPECT_TRUE(ok);
  EXPECT_EQ(t.value, 0x4u);
  EXPECT_EQ(t.mask, 0x3u);
}

TEST(TnumTest, ArshKeepsUnknownSign) {
  Tnum t = tnum_arsh(Tnum{0, 0x8000000000000000ULL}, 60, 64);
  EXPECT_TRUE(t.contains_value(0xfffffffffffffff8ULL));
  EXPECT_TRUE(t.contains_value(0));
}

// Random tnums and their soundness for every binary operation.
TEST(TnumTest, TransferFunctionsAreSound) {
  std::mt19937_64 rng(1);
  for (int iter = 0; iter < 3000; ++iter) {
    uint64_t ma = rng() & rng() & rng(), mb = rng() & rng() & rng();
    Tnum a{rng() & ~ma, ma}, b{rng() & ~mb, mb};
    for (int k = 0; k < 8; ++k) {
      uint64_t x = a.value | (rng() & a.mask), y = b.value | (rng() & b.mask);
      ASSERT_TRUE(tnum_add(a, b).contains_value(x + y));
      ASSERT_TRUE(tnum_sub(a, b).contains_value(x - y));
      ASSERT_TRUE(tnum_and(a, b).contains_value(x & y));
      ASSERT_TRUE(tnum_or(a, b).contains_value(x | y));
      ASSERT_TRUE(tnum_xor(a, b).contains_value(x ^ y));
      ASSERT_TRUE(tnum_mul(a, b).contains_value(x * y));
      ASSERT_TRUE(tnum_union(a, b).contains_value(x));
      ASSERT_TRUE(tnum_union(a, b).contains_value(y));
    }
  }
}

TEST(ScalarTest, ConstantHasAllViews) {
  Scalar s = Scalar::constant(0xffffffff);
  EXPECT_EQ(s.umin, 0xffffffffu);
  EXPECT_EQ(s.smax, 0xffffffff);
  EXPECT_EQ(s.u32max, 0xffffffffu);
  EXPECT_EQ(s.s32min, -1);
}

TEST(ScalarTest, NormalizeDerivesSubregisterFromSmallRange) {
  Scalar s = Scalar::urange(10, 20);
  EXPECT_EQ(s.u32min, 10u);
  EXPECT_EQ(s.u32max, 20u);
  EXPECT_EQ(s.smin, 10);
  EXPECT_EQ(s.smax, 20);
  EXPECT_TRUE(s.var.contains_value(10) && s.var.contains_value(20));
}

TEST(ScalarTest, AndBoundsResult) {
  Scalar r = scalar_alu(AluOp::kAnd, Scalar::unknown(), Scalar::constant(63), 64);
  EXPECT_EQ(r.umin, 0u);
  EXPECT_EQ(r.umax, 63u);
}

TEST(ScalarTest, Alu32ZeroExtends) {
  Scalar r = scalar_alu(AluOp::kAdd, Scalar::unknown(), Scalar::constant(1), 32);
  EXPECT_EQ(r.umax, 0xffffffffu);
  EXPECT_EQ(r.smin, 0);
}

TEST(ScalarTest, DivByPossiblyZeroStaysBelowDividend) {
  Scalar r = scalar_alu(AluOp::kDiv, Scalar::urange(0, 100), Scalar::urange(0, 7), 64);
  EXPECT_EQ(r.umin, 0u);
  EXPECT_EQ(r.umax, 100u);
  r = scalar_alu(AluOp::kMod, Scalar::urange(0, 1000), Scalar::urange(1, 8), 64);
  EXPECT_EQ(r.umax, 7u);
}

TEST(ScalarTest, BranchDecidesWhenRangesAllow) {
  Scalar a = Scalar::urange(0, 9);
  EXPECT_EQ(scalar_branch(JmpCond::kLt, a, Scalar::constant(10), 64), 1);
  EXPECT_EQ(scalar_branch(JmpCond::kGt, a, Scalar::constant(9), 64), 0);
  EXPECT_EQ(scalar_branch(JmpCond::kGt, a, Scalar::constant(5), 64), -1);
  EXPECT_EQ(scalar_branch(JmpCond::kSet, Scalar::constant(4), Scalar::constant(3), 64), 0);
}

TEST(ScalarTest, RefineUnsignedBothSides) {
  Scalar a = Scalar::unknown(), b = Scalar::constant(64);
  ASSERT_TRUE(scalar_refine(JmpCond::kLt, true, a, b, 64));
  EXPECT_EQ(a.umax, 63u);
  Scalar c = Scalar::unknown(), d = Scalar::constant(64);
  ASSERT_TRUE(scalar_refine(JmpCond::kLt, false, c, d, 64));
  EXPECT_EQ(c.umin, 64u);
}

TEST(ScalarTest, RefineSigned32OnlyNarrowsSubregister) {
  Scalar a = Scalar::unknown(), b = Scalar::constant(0);
  ASSERT_TRUE(scalar_refine(JmpCond::kSge, true, a, b, 32));
  EXPECT_GE(a.s32min, 0);
  EXPECT_GT(a.umax, uint64_t{UINT32_MAX});  // the high half is still unknown
  EXPECT_EQ(a.umax & 0x80000000u, 0u);       // but bit 31 is known clear
}

TEST(ScalarTest, RefineRegisterAgainstRegister) {
  Scalar a = Scalar::urange(0, 100), b = Scalar::urange(50, 60);
  ASSERT_TRUE(scalar_refine(JmpCond::kGt, true, a, b, 64));
  EXPECT_EQ(a.umin, 51u);
  EXPECT_EQ(b.umax, 60u);
  Scalar c = Scalar::urange(0, 55), d = Scalar::urange(50, 60);
  ASSERT_TRUE(scalar_refine(JmpCond::kGe, true, c, d, 64));
  EXPECT_EQ(c.umin, 50u);
  EXPECT_EQ(d.umax, 55u);
}

TEST(ScalarTest, RefineImpossibleBranch) {
  Scalar a = Scalar::urange(0, 9), b = Scalar::constant(20);
  EXPECT_FALSE(scalar_refine(JmpCond::kEq, true, a, b, 64));
}

TEST(ScalarTest, RefineEqualityGivesConstant) {
  Scalar a = Scalar::unknown(), b = Scalar::constant(7);
  ASSERT_TRUE(scalar_refine(JmpCond::kEq, true, a, b, 64));
  EXPECT_TRUE(a.is_const());
  EXPECT_EQ(a.value(), 7u);
}

TEST(ScalarTest, RefineJsetFalseClearsBits) {
  Scalar a = Scalar::unknown(), b = Scalar::constant(0xf0);
  ASSERT_TRUE(scalar_refine(JmpCond::kSet, false, a, b, 64));
  EXPECT_EQ(a.var.max() & 0xf0, 0u);
}

// A random abstract value: a range, a constant or known bits, with a few members.
struct Sample {
  Scalar s;
  std::vector<uint64_t> members;
};

Sample random_sample(std::mt19937_64& rng) {
  Sample out;
  uint64_t base = rng();
  switch (rng() % 5) {
    case 0: {
      out.s = Scalar::constant(base);
      out.members = {base};
      return out;
    }
    case 1: {
      uint64_t lo = rng() % 1000, hi = lo + rng() % 300;
      out.s = Scalar::urange(lo, hi);
      for (int i = 0; i < 6; ++i) out.members.push_back(lo + rng() % (hi - lo + 1));
      out.members.push_back(hi);
      return out;
    }
    case 2: {
      // A signed range around zero.
      int64_t lo = -static_cast<int64_t>(rng() % 500), hi = static_cast<int64_t>(rng() % 500);
      Scalar s;
      s.smin = lo;
      s.smax = hi;
      EXPECT_TRUE(s.normalize());
      out.s = s;
      for (int i = 0; i < 6; ++i) {
        out.members.push_back(static_cast<uint64_t>(lo + static_cast<int64_t>(rng() % (hi - lo + 1))));
      }
      return out;
    }
    case 3: {
      uint64_t mask = rng() & rng();
      Scalar s;
      s.var = Tnum{base & ~mask, mask};
      EXPECT_TRUE(s.normalize());
      out.s = s;
      for (int i = 0; i < 6; ++i) out.members.push_back((base & ~mask) | (rng() & mask));
      return out;
    }
    default: {
      out.s = Scalar::unknown();
      for (int i = 0; i < 6; ++i) out.members.push_back(rng());
      out.members.push_back(0);
      return out;
    }
  }
}

TEST(ScalarTest, AluTransferFunctionsAreSound) {
  std::mt19937_64 rng(7);
  const AluOp ops[] = {AluOp::kAdd, AluOp::kSub,  AluOp::kMul, AluOp::kDiv, AluOp::kSDiv,
                       AluOp::kOr,  AluOp::kAnd,  AluOp::kLsh, AluOp::kRsh, AluOp::kMod,
                       AluOp::kSMod, AluOp::kXor, AluOp::kMov, AluOp::kArsh};
  for (int iter = 0; iter < 2000; ++iter) {
    Sample a = random_sample(rng), b = random_sample(rng);
    for (AluOp op : ops) {
      for (uint32_t width : {32u, 64u}) {
        Scalar r = scalar_alu(op, a.s, b.s, width);
        for (uint64_t x : a.members) {
          ASSERT_TRUE(member(a.s, x)) << a.s.to_string() << " " << x;
          for (uint64_t y : b.members) {
            uint64_t c = width == 64 ? sem::alu64(op, x, y) : sem::alu32(op, x, y);
            ASSERT_TRUE(member(r, c))
                << "op " << static_cast<int>(op) << " width " << width << ": " << x << ", " << y
                << " -> " << c << " not in " << r.to_string() << " from " << a.s.to_string()
                << " and " << b.s.to_string();
          }
        }
      }
    }
    for (uint32_t width : {32u, 64u}) {
      Scalar n = scalar_neg(a.s, width);
      for (uint64_t x : a.members) {
        ASSERT_TRUE(member(n, width == 64 ? sem::neg64(x) : sem::neg32(x)));
      }
    }
    for (uint32_t from : {8u, 16u, 32u}) {
      Scalar m = scalar_movsx(a.s, from, 64);
      for (uint64_t x : a.members) ASSERT_TRUE(member(m, sem::movsx(x, from, 64)));
    }
    for (uint32_t bytes : {1u, 2u, 4u}) {
      Scalar t = scalar_truncate(a.s, bytes);
      for (uint64_t x : a.members) ASSERT_TRUE(member(t, sem::truncate(x, bytes * 8)));
    }
  }
}

TEST(ScalarTest, BranchRefinementIsSound) {
  std::mt19937_64 rng(11);
  const JmpCond conds[] = {JmpCond::kEq,  JmpCond::kGt,  JmpCond::kGe,  JmpCond::kSet,
                           JmpCond::kNe,  JmpCond::kSgt, JmpCond::kSge, JmpCond::kLt,
                           JmpCond::kLe,  JmpCond::kSlt, JmpCond::kSle};
  for (int iter = 0; iter < 3000; ++iter) {
    Sample a = random_sample(rng), b = random_sample(rng);
    for (JmpCond c : conds) {
      for (uint32_t width : {32u, 64u}) {
        int decided = scalar_branch(c, a.s, b.s, width);
        for (bool taken : {true, false}) {
          Scalar ra = a.s, rb = b.s;
          bool feasible = scalar_refine(c, taken, ra, rb, width);
          for (uint64_t x : a.members) {
            for (uint64_t y : b.members) {
              bool real = width == 64 ? sem::jmp64(c, x, y) : sem::jmp32(c, x, y);
              if (decided >= 0) {
                ASSERT_EQ(real, decided == 1) << x << " " << y;
              }
              if (real != taken) continue;
              ASSERT_TRUE(feasible) << "cond " << static_cast<int>(c) << " width " << width
                                    << " " << x << " " << y;
              ASSERT_TRUE(member(ra, x)) << "cond " << static_cast<int>(c) << " width "
                                         << width << " taken " << taken << ": " << x
                                         << " not in " << ra.to_string();
              ASSERT_TRUE(member(rb, y));
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace bpfjit::verifier
