// Jump tables for trees of compares on one register (jit/switches.h): which trees get one,
// and that a program with one ends exactly as the interpreter and the JIT without tables
// end it, in checked and trusted mode, for values inside, at the edges of and far outside
// the table, with the same budget used.
#include <gtest/gtest.h>

#include <random>

#include "jit/jit.h"
#include "jit/switches.h"
#include "runtime/interp/interpreter.h"
#include "test/jit/jit_test_util.h"

namespace bpfjit {
namespace {

using test::ProgBuilder;
using test::TestMachine;

// The shape clang gives a dense switch on w1 (cases 0..6), as in bench/kernels:
//    0: mov r0, 100
//    1: jsgt32 r1, 3, +6 (8)       8: jsgt32 r1, 5, +2 (11)
//    2: jsgt32 r1, 1, +3 (6)       9: jeq32 r1, 4, +7 (17)
//    3: jeq32 r1, 0, +9 (13)      10: exit                       (5)
//    4: mov r0, 1                 11: jeq32 r1, 6, +7 (19)
//    5: exit                      12: exit                       (7 and above, negatives)
//    6: jeq32 r1, 2, +8 (15)      13..20: r0 = 10, 12, 14, 16 ; exit
//    7: exit                             (3)
std::vector<Insn> clang_switch() {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 0, 0, 0, 100)
      .op(Op::kJsgt32Imm, 1, 0, 6, 3)
      .op(Op::kJsgt32Imm, 1, 0, 3, 1)
      .op(Op::kJeq32Imm, 1, 0, 9, 0)
      .op(Op::kMov64Imm, 0, 0, 0, 1)
      .op(Op::kExit)
      .op(Op::kJeq32Imm, 1, 0, 8, 2)
      .op(Op::kExit)
      .op(Op::kJsgt32Imm, 1, 0, 2, 5)
      .op(Op::kJeq32Imm, 1, 0, 7, 4)
      .op(Op::kExit)
      .op(Op::kJeq32Imm, 1, 0, 7, 6)
      .op(Op::kExit);
  for (int32_t k : {10, 12, 14, 16}) p.op(Op::kMov64Imm, 0, 0, 0, k).op(Op::kExit);
  return p.insns();
}

TEST(JitSwitchTest, FindsTheTreeClangMakesForASwitch) {
  auto tables = find_switch_tables(clang_switch(), SwitchOptions{});
  ASSERT_EQ(tables.size(), 1u);
  const SwitchTable& t = tables[0];
  EXPECT_EQ(t.root, 1u);
  EXPECT_EQ(t.reg, 1);
  EXPECT_FALSE(t.wide);
  EXPECT_EQ(t.lo, 0);
  EXPECT_EQ(t.entries, (std::vector<uint32_t>{13, 4, 15, 7, 17, 10, 19}));
}

TEST(JitSwitchTest, SmallTreesAndMixedRegistersKeepTheirCompares) {
  // Two compares only.
  ProgBuilder two;
  two.op(Op::kJeqImm, 1, 0, 2, 0).op(Op::kJeqImm, 1, 0, 2, 1).op(Op::kExit)
      .op(Op::kExit).op(Op::kExit);
  EXPECT_TRUE(find_switch_tables(two.insns(), SwitchOptions{}).empty());
  // Three compares, but the middle one reads another register: no tree of three.
  ProgBuilder mixed;
  mixed.op(Op::kJeqImm, 1, 0, 3, 0).op(Op::kJeqImm, 2, 0, 3, 1).op(Op::kJeqImm, 1, 0, 3, 2)
      .op(Op::kExit).op(Op::kExit).op(Op::kExit).op(Op::kExit);
  EXPECT_TRUE(find_switch_tables(mixed.insns(), SwitchOptions{}).empty());
  // A span far wider than the tree: values 0 and 100000 need no table of 100001 entries.
  ProgBuilder sparse;
  sparse.op(Op::kJeqImm, 1, 0, 3, 0).op(Op::kJeqImm, 1, 0, 3, 50).op(Op::kJeqImm, 1, 0, 3, 100000)
      .op(Op::kExit).op(Op::kExit).op(Op::kExit).op(Op::kExit);
  EXPECT_TRUE(find_switch_tables(sparse.insns(), SwitchOptions{}).empty());
}

// The chain clang makes of `if (v >= 16) r |= 4; if (v >= 16) v >>= 4; if (v >= 4) ...`
// (bench/kernels/log2.c) is a tree of compares on r7 by its edges, but each leaf runs
// into the next compare: the JIT keeps its cmovs rather than add an indirect jump.
TEST(JitSwitchTest, AChainOfGuardedStepsIsNotASwitch) {
  ProgBuilder p;
  p.op(Op::kJltImm, 7, 0, 1, 16)
      .op(Op::kOr64Imm, 0, 0, 0, 4)
      .op(Op::kJltImm, 7, 0, 1, 16)
      .op(Op::kRsh64Imm, 7, 0, 0, 4)
      .op(Op::kJltImm, 7, 0, 1, 4)
      .op(Op::kAdd64Imm, 0, 0, 0, 2)
      .op(Op::kJltImm, 7, 0, 1, 4)
      .op(Op::kRsh64Imm, 7, 0, 0, 2)
      .op(Op::kExit);
  EXPECT_TRUE(find_switch_tables(p.insns(), SwitchOptions{}).empty());
  // The same compares with leaves that leave the tree (exit) do make one.
  ProgBuilder q;
  q.op(Op::kJltImm, 7, 0, 1, 16)
      .op(Op::kExit)
      .op(Op::kJltImm, 7, 0, 1, 8)
      .op(Op::kExit)
      .op(Op::kJltImm, 7, 0, 1, 4)
      .op(Op::kExit)
      .op(Op::kExit);
  EXPECT_EQ(find_switch_tables(q.insns(), SwitchOptions{}).size(), 1u);
}

// The values around a table of [lo, hi] and far from it, in both halves of the register.
std::vector<uint64_t> probe_values(int64_t lo, int64_t hi) {
  std::vector<uint64_t> v;
  for (int64_t x = lo - 3; x <= hi + 3; ++x) {
    v.push_back(static_cast<uint64_t>(x));
    v.push_back(static_cast<uint64_t>(x) & 0xffffffffu);       // zero-extended
    v.push_back(static_cast<uint64_t>(x) + (uint64_t{1} << 32));  // a high half
  }
  for (uint64_t x : {uint64_t{0x8000000000000000}, ~uint64_t{0}, uint64_t{0x7fffffff},
                     uint64_t{0x80000000}, uint64_t{0xffffffff00000002}}) {
    v.push_back(x);
  }
  return v;
}

struct Engines {
  std::unique_ptr<Executable> interp, checked, checked_plain, trusted, trusted_plain;
};

Engines compile_all(const std::vector<Insn>& insns) {
  Engines e;
  auto compile = [&](bool checked, bool tables) {
    JitOptions o;
    o.checked = checked;
    o.jump_tables = tables;
    auto r = jit_compile(insns, o);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : nullptr;
  };
  auto interp = make_interpreter(insns);
  EXPECT_TRUE(interp.ok());
  if (interp.ok()) e.interp = std::move(*interp);
  e.checked = compile(true, true);
  e.checked_plain = compile(true, false);
  e.trusted = compile(false, true);
  e.trusted_plain = compile(false, false);
  return e;
}

// Runs every engine on r1 = value; with a budget, the JIT with tables uses as much of it as
// the JIT without.
void expect_same_everywhere(const Engines& e, uint64_t value) {
  ASSERT_TRUE(e.interp && e.checked && e.checked_plain && e.trusted && e.trusted_plain);
  TestMachine m;
  uint64_t want = e.interp->run(m.ctx, value, 0);
  ASSERT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  for (const Executable* x : {e.checked.get(), e.checked_plain.get(), e.trusted.get(),
                              e.trusted_plain.get()}) {
    TestMachine mx;
    EXPECT_EQ(x->run(mx.ctx, value, 0), want) << "r1 = " << value;
    EXPECT_EQ(mx.ctx.trap.kind, TrapKind::kNone);
  }
  TestMachine a, b;
  a.ctx.budget = b.ctx.budget = 1000;
  uint64_t ra = e.checked->run(a.ctx, value, 0);
  uint64_t rb = e.checked_plain->run(b.ctx, value, 0);
  EXPECT_EQ(ra, want);
  EXPECT_EQ(rb, want);
  EXPECT_EQ(a.ctx.budget, b.ctx.budget) << "r1 = " << value;
}

TEST(JitSwitchTest, TheClangSwitchRunsAsTheInterpreterRunsIt) {
  auto insns = clang_switch();
  Engines e = compile_all(insns);
  for (uint64_t v : probe_values(0, 6)) expect_same_everywhere(e, v);
  auto dump = jit_dump(insns, JitOptions{});
  ASSERT_TRUE(dump.ok());
  EXPECT_NE(dump->find("jump table: r1 - 0 below 7"), std::string::npos);
  JitOptions blinded;
  blinded.harden = true;
  auto hdump = jit_dump(insns, blinded);
  ASSERT_TRUE(hdump.ok());
  EXPECT_EQ(hdump->find("jump table"), std::string::npos);  // the range check would show 6
}

// Random trees on r1: a prefix, leaves before the tree (reached by backward jumps, which a
// budget counts), the compares (each of a random condition and width, jumping forward to a
// later compare or to any leaf, now and then reading r2 instead, which splits the tree),
// then the leaves after it. Each leaf sets r0 to its own value, some add r1 first.
std::vector<Insn> random_tree(std::mt19937_64& rng, int64_t& lo, int64_t& hi) {
  auto pick = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
  static const Op kImm32[] = {Op::kJeq32Imm, Op::kJgt32Imm, Op::kJge32Imm, Op::kJset32Imm,
                              Op::kJne32Imm, Op::kJsgt32Imm, Op::kJsge32Imm, Op::kJlt32Imm,
                              Op::kJle32Imm, Op::kJslt32Imm, Op::kJsle32Imm};
  static const Op kImm64[] = {Op::kJeqImm, Op::kJgtImm, Op::kJgeImm, Op::kJsetImm,
                              Op::kJneImm, Op::kJsgtImm, Op::kJsgeImm, Op::kJltImm,
                              Op::kJleImm, Op::kJsltImm, Op::kJsleImm};
  const bool all32 = pick(2) == 0;
  const uint32_t back = 1 + pick(3), nodes = 3 + pick(10), fwd = 2 + pick(6);
  const int32_t base = static_cast<int32_t>(pick(5)) == 0 ? -8 : static_cast<int32_t>(pick(40));
  // Slots: 0 mov r0, 0 ; 1 ja root ; back leaves (2 slots each) ; nodes ; fwd leaves.
  const uint32_t first_back = 2, root = first_back + 2 * back, first_fwd = root + nodes;
  std::vector<Insn> out;
  auto jump = [&out](Op op, uint8_t dst, int32_t imm, uint32_t target) {
    const auto off = static_cast<int16_t>(int64_t{target} - static_cast<int64_t>(out.size()) - 1);
    Insn in = test::make_insn(op, dst, 0, off, imm);
    in.imm64 = target;
    return in;
  };
  out.push_back(test::make_insn(Op::kMov64Imm, 0, 0, 0, 0));
  out.push_back(jump(Op::kJa, 0, 0, root));
  auto leaf = [&](uint32_t k) {
    if (pick(3) == 0) {
      out.push_back(test::make_insn(Op::kMov64Reg, 0, 1));
    } else {
      out.push_back(test::make_insn(Op::kMov64Imm, 0, 0, 0, static_cast<int32_t>(1000 + k)));
    }
    out.push_back(test::make_insn(Op::kExit));
  };
  for (uint32_t k = 0; k < back; ++k) leaf(k);
  lo = INT64_MAX;
  hi = INT64_MIN;
  for (uint32_t i = 0; i < nodes; ++i) {
    const uint32_t pc = root + i;
    uint32_t target;
    switch (pick(3)) {
      case 0: target = first_back + 2 * pick(back); break;
      case 1: target = first_fwd + 2 * pick(fwd); break;
      default: target = pc + 1 + pick(first_fwd - pc); break;  // a later compare or the first leaf
    }
    const int32_t imm = base + static_cast<int32_t>(pick(12));
    const uint8_t reg = pick(12) == 0 ? 2 : 1;
    const Op op = all32 || pick(2) == 0 ? kImm32[pick(11)] : kImm64[pick(11)];
    out.push_back(jump(op, reg, imm, target));
    lo = std::min<int64_t>(lo, imm);
    hi = std::max<int64_t>(hi, imm);
  }
  for (uint32_t k = 0; k < fwd; ++k) leaf(back + k);
  return out;
}

TEST(JitSwitchTest, RandomTreesRunAsTheInterpreterRunsThem) {
  std::mt19937_64 rng(20261206);
  int with_table = 0, wide = 0;
  for (int n = 0; n < 300; ++n) {
    int64_t lo = 0, hi = 0;
    std::vector<Insn> insns = random_tree(rng, lo, hi);
    auto tables = find_switch_tables(insns, SwitchOptions{});
    if (!tables.empty()) ++with_table;
    for (const SwitchTable& t : tables) wide += t.wide ? 1 : 0;
    Engines e = compile_all(insns);
    SCOPED_TRACE(testing::Message() << "tree " << n);
    for (uint64_t v : probe_values(lo, hi)) expect_same_everywhere(e, v);
    if (HasFailure()) break;
  }
  // A third or more of the trees got a table, of both widths; the rest were cut short by
  // r2, or reach too few distinct leaves, and ran as written.
  EXPECT_GT(with_table, 100) << with_table << " of 300";
  EXPECT_GT(wide, 30) << wide;
}

}  // namespace
}  // namespace bpfjit
