// Trusted mode emits a call to a small straight leaf in place (jit.cc find_inline_leaves):
// which leaves qualify, and that programs calling them end as the interpreter and checked
// mode (which always calls) end them: r0, the registers the caller keeps, and memory.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "jit/jit.h"
#include "runtime/interp/interpreter.h"
#include "test/jit/jit_test_util.h"

namespace bpfjit {
namespace {

using test::ProgBuilder;
using test::TestMachine;

// main: r6 = r1 (the buffer) ; r7 = r2 ; r1 = r7 ; r2 = 5 ; call leaf ; r0 += r7 ;
//       r1 = r6 ; r2 = r0 ; call leaf ; r0 ^= r7 ; exit      then the leaf's body.
std::vector<Insn> with_leaf(const std::vector<Insn>& leaf) {
  ProgBuilder p;
  p.op(Op::kMov64Reg, 6, 1)
      .op(Op::kMov64Reg, 7, 2)
      .op(Op::kMov64Reg, 1, 7)
      .op(Op::kMov64Imm, 2, 0, 0, 5)
      .op(Op::kCallLocal, 0, 1, 0, 6)  // to slot 11
      .op(Op::kAdd64Reg, 0, 7)
      .op(Op::kMov64Reg, 1, 6)
      .op(Op::kMov64Reg, 2, 0)
      .op(Op::kCallLocal, 0, 1, 0, 2)  // to slot 11
      .op(Op::kXor64Reg, 0, 7)
      .op(Op::kExit);
  for (const Insn& in : leaf) p.add(in);
  return p.insns();
}

std::string trusted_dump(const std::vector<Insn>& insns) {
  JitOptions o;
  o.checked = false;
  auto d = jit_dump(insns, o);
  EXPECT_TRUE(d.ok());
  return d.ok() ? *d : std::string();
}

using test::make_insn;

TEST(JitInlineTest, OnlySmallStraightLeavesThatNeedNoSavesNorFrameGoInPlace) {
  // (x ^ (x >> 29)) + y: in place, at both calls.
  std::vector<Insn> mix{make_insn(Op::kMov64Reg, 0, 1), make_insn(Op::kRsh64Imm, 0, 0, 0, 29),
                        make_insn(Op::kXor64Reg, 0, 1), make_insn(Op::kAdd64Reg, 0, 2),
                        make_insn(Op::kExit)};
  std::string d = trusted_dump(with_leaf(mix));
  size_t first = d.find("inline    11:");
  ASSERT_NE(first, std::string::npos) << d;
  EXPECT_NE(d.find("inline    11:", first + 1), std::string::npos);
  // Checked mode calls it.
  auto checked = jit_dump(with_leaf(mix), JitOptions{});
  ASSERT_TRUE(checked.ok());
  EXPECT_EQ(checked->find("inline"), std::string::npos);

  auto not_inlined = [&](std::vector<Insn> leaf, const char* why) {
    std::string dd = trusted_dump(with_leaf(leaf));
    EXPECT_EQ(dd.find("inline"), std::string::npos) << why;
  };
  not_inlined({make_insn(Op::kMov64Reg, 6, 1), make_insn(Op::kMov64Reg, 0, 6), make_insn(Op::kExit)},
              "names r6");
  not_inlined({make_insn(Op::kStxdw, 10, 1, -8), make_insn(Op::kLdxdw, 0, 10, -8), make_insn(Op::kExit)},
              "uses its frame");
  not_inlined({make_insn(Op::kMov64Reg, 0, 1), make_insn(Op::kJeqImm, 0, 0, 1, 0),
               make_insn(Op::kAdd64Imm, 0, 0, 0, 1), make_insn(Op::kExit)},
              "has a jump");
  std::vector<Insn> longer;
  for (int i = 0; i < 17; ++i) longer.push_back(make_insn(Op::kAdd64Imm, 0, 0, 0, i));
  longer.push_back(make_insn(Op::kExit));
  not_inlined(longer, "17 instructions");
  not_inlined({make_insn(Op::kMov64Reg, 0, 1), make_insn(Op::kCall, 0, 0, 0, 1), make_insn(Op::kExit)},
              "calls a helper");
}

// Random straight leaves over r0..r5 (ALU of both widths, byte swaps, sign-extending moves,
// lddw, loads and stores through r1, which the caller points into the buffer on its
// second call): trusted with leaves in place, checked, and the interpreter agree.
TEST(JitInlineTest, RandomLeavesInPlaceEndAsCalledOnes) {
  std::mt19937_64 rng(20261206);
  auto pick = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
  static const Op kAlu[] = {Op::kAdd64Reg, Op::kSub64Reg, Op::kMul64Reg, Op::kOr64Reg,
                            Op::kAnd64Reg, Op::kXor64Reg, Op::kLsh64Reg, Op::kRsh64Reg,
                            Op::kArsh64Reg, Op::kAdd32Reg, Op::kMul32Reg, Op::kXor32Reg,
                            Op::kMov32Reg, Op::kMov64Reg};
  static const Op kAluImm[] = {Op::kAdd64Imm, Op::kMul64Imm, Op::kXor64Imm, Op::kRsh64Imm,
                               Op::kLsh32Imm, Op::kAnd32Imm, Op::kMov64Imm, Op::kArsh32Imm};
  int inlined = 0;
  for (int n = 0; n < 400; ++n) {
    std::vector<Insn> leaf;
    const uint32_t len = 1 + pick(15);
    for (uint32_t i = 0; leaf.size() < len; ++i) {
      auto r = [&] { return static_cast<uint8_t>(pick(6)); };
      switch (pick(7)) {
        case 0: leaf.push_back(make_insn(kAlu[pick(std::size(kAlu))], r(), r())); break;
        case 1: {
          Op op = kAluImm[pick(std::size(kAluImm))];
          bool shift = op == Op::kRsh64Imm || op == Op::kLsh32Imm || op == Op::kArsh32Imm;
          leaf.push_back(make_insn(op, r(), 0, 0, shift ? static_cast<int32_t>(pick(32))
                                                         : static_cast<int32_t>(rng())));
          break;
        }
        case 2: leaf.push_back(make_insn(Op::kBe64, r(), 0, 0, 64)); break;
        case 3: leaf.push_back(make_insn(Op::kMovSx8To64, r(), r(), 8)); break;
        case 4: {
          uint64_t v = rng();
          Insn lo = make_insn(Op::kLddw, r(), 0, 0, static_cast<int32_t>(v));
          lo.imm64 = v;
          Insn hi;
          hi.op = Op::kLddwHigh;
          hi.imm = static_cast<int32_t>(v >> 32);
          hi.imm64 = v;
          leaf.push_back(lo);
          leaf.push_back(hi);
          break;
        }
        // Memory through r1 only while r1 is still the caller's pointer (first insns).
        case 5:
        case 6:
          if (i == 0) {
            leaf.push_back(pick(2) ? make_insn(Op::kLdxdw, 0, 1, static_cast<int16_t>(8 * pick(4)))
                                   : make_insn(Op::kStxdw, 1, 2, static_cast<int16_t>(8 * pick(4))));
          } else {
            leaf.push_back(make_insn(Op::kNeg64, r()));
          }
          break;
      }
    }
    leaf.push_back(make_insn(Op::kExit));
    // The first call passes r1 = r7 (a number): no memory then. Give it the buffer too.
    std::vector<Insn> insns = with_leaf(leaf);
    insns[2] = make_insn(Op::kMov64Reg, 1, 6);
    if (trusted_dump(insns).find("inline") != std::string::npos) ++inlined;

    JitOptions trusted;
    trusted.checked = false;
    auto t = jit_compile(insns, trusted);
    auto c = jit_compile(insns, JitOptions{});
    auto i = make_interpreter(insns);
    ASSERT_TRUE(t.ok() && c.ok() && i.ok());
    // One buffer for all three: a leaf may compute with the pointer it was given.
    TestMachine m;
    auto run = [&](const Executable& x, std::vector<uint8_t>& mem_after) {
      for (size_t k = 0; k < m.mem.size(); ++k) m.mem[k] = static_cast<uint8_t>(k * 13 + n);
      m.ctx.trap = Trap{};
      uint64_t r0 = x.run(m.ctx, m.mem_addr(), 12345);
      EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
      mem_after = m.mem;
      return r0;
    };
    std::vector<uint8_t> mi, mt, mc;
    uint64_t want = run(**i, mi);
    EXPECT_EQ(run(**t, mt), want) << "leaf " << n;
    EXPECT_EQ(run(**c, mc), want) << "leaf " << n;
    EXPECT_EQ(mt, mi) << "leaf " << n;
    EXPECT_EQ(mc, mi) << "leaf " << n;
    if (HasFailure()) break;
  }
  EXPECT_EQ(inlined, 400);
}

}  // namespace
}  // namespace bpfjit
