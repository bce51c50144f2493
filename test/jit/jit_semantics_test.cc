// Every ALU, jump, negation, sign-extension and byte-order operation of the JIT against
// runtime/isa/semantics.h, at both widths, with register and immediate sources, over edge
// values, with the operands in the registers that need care on x86 (r0 = rax, r3 = rdx,
// r4 = rcx) and with a register as both operands.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>

#include "jit/jit.h"
#include "runtime/isa/semantics.h"
#include "test/jit/jit_test_util.h"

namespace bpfjit {
namespace {

using test::ProgBuilder;
using test::TestMachine;

constexpr uint64_t kValues[] = {
    0, 1, UINT64_MAX, 2, 3, 7, uint64_t(-7), 31, 32, 63, 64,
    0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
    0x8000000000000000, 0x8000000000000001, 0xffffffff80000000, 0x123456789abcdef0,
};
constexpr int32_t kImms[] = {0, 1, -1, 2, 3, 7, -7, 16, 31, 32, 63, 64, INT32_MIN, INT32_MAX,
                             1 << 30, -2};
// (dst, src) pairs: plain registers, r0/r3 (div uses rax/rdx), r4 (shifts use cl), aliasing.
constexpr std::array<std::pair<uint8_t, uint8_t>, 10> kPairs = {{
    {1, 2}, {0, 3}, {3, 0}, {4, 1}, {1, 4}, {4, 4}, {0, 0}, {3, 3}, {6, 9}, {5, 3},
}};

// Stack slots (below r10): the initial registers at -8*(i+1), the final ones at
// kOutBase - 8*(i+1), a jump's outcome at kTakenSlot.
constexpr int16_t kOutBase = -128;
constexpr int16_t kTakenSlot = -256;

uint64_t slot(const TestMachine& m, int32_t off) {
  uint64_t v;
  std::memcpy(&v, m.stack + kStackSize + off, 8);
  return v;
}
void set_slot(TestMachine& m, int32_t off, uint64_t v) {
  std::memcpy(m.stack + kStackSize + off, &v, 8);
}

// The program: load r0..r9 from the stack, run `body`, store r0..r9 back.
template <typename Body>
std::vector<Insn> harness(Body body) {
  ProgBuilder p;
  for (uint8_t r = 0; r < 10; ++r) p.op(Op::kLdxdw, r, kFramePointer, static_cast<int16_t>(-8 * (r + 1)));
  body(p);
  for (uint8_t r = 0; r < 10; ++r) {
    p.op(Op::kStxdw, kFramePointer, r, static_cast<int16_t>(kOutBase - 8 * (r + 1)));
  }
  p.op(Op::kExit);
  return p.insns();
}

std::array<uint64_t, 10> initial_regs(uint8_t d, uint8_t s, uint64_t a, uint64_t b) {
  std::array<uint64_t, 10> regs;
  for (uint8_t r = 0; r < 10; ++r) regs[r] = 0x5a5a000000000000ULL + r * 0x01010101ULL;
  regs[s] = b;
  regs[d] = a;
  return regs;
}

// Runs `exe` with the registers `regs` and returns the final registers.
std::array<uint64_t, 10> run_regs(const Executable& exe, TestMachine& m,
                                  const std::array<uint64_t, 10>& regs) {
  for (uint8_t r = 0; r < 10; ++r) set_slot(m, -8 * (r + 1), regs[r]);
  m.run(exe);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone) << m.ctx.trap.to_string();
  std::array<uint64_t, 10> out;
  for (uint8_t r = 0; r < 10; ++r) out[r] = slot(m, kOutBase - 8 * (r + 1));
  return out;
}

std::unique_ptr<Executable> compile(const std::vector<Insn>& insns, bool bmi2 = true) {
  JitOptions o;
  o.allow_bmi2 = bmi2;
  auto exe = jit_compile(insns, o);
  EXPECT_TRUE(exe.ok()) << (exe.ok() ? "" : exe.error().to_string());
  return exe.ok() ? std::move(exe.value()) : nullptr;
}

std::vector<Op> ops_of(Form form) {
  std::vector<Op> out;
  for (size_t i = 0; i + 1 < kNumOps; ++i) {
    auto op = static_cast<Op>(i);
    if (form_of(op) == form) out.push_back(op);
  }
  return out;
}

bool is_shift(AluOp op) { return op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh; }

TEST(JitSemanticsTest, AluRegisterFormsMatchSemantics) {
  TestMachine m;
  for (Op op : ops_of(Form::kAluReg)) {
    const OpInfo& info = op_info(op);
    for (bool bmi2 : {true, false}) {
      if (!bmi2 && !is_shift(alu_op(op))) continue;
      for (auto [d, s] : kPairs) {
        auto exe = compile(harness([&](ProgBuilder& p) { p.op(op, d, s); }), bmi2);
        ASSERT_NE(exe, nullptr);
        for (uint64_t a : kValues) {
          for (uint64_t b : kValues) {
            auto regs = initial_regs(d, s, a, b);
            auto want = regs;
            want[d] = info.width == 64 ? sem::alu64(alu_op(op), regs[d], regs[s])
                                       : sem::alu32(alu_op(op), regs[d], regs[s]);
            auto got = run_regs(*exe, m, regs);
            ASSERT_EQ(got, want) << info.name << " r" << int(d) << ", r" << int(s) << " with "
                                 << std::hex << a << ", " << b << " bmi2=" << bmi2;
          }
        }
      }
    }
  }
}

TEST(JitSemanticsTest, AluImmediateFormsMatchSemantics) {
  TestMachine m;
  for (Op op : ops_of(Form::kAluImm)) {
    const OpInfo& info = op_info(op);
    for (uint8_t d : {uint8_t{0}, uint8_t{3}, uint8_t{4}, uint8_t{7}}) {
      for (int32_t imm : kImms) {
        auto exe = compile(harness([&](ProgBuilder& p) { p.op(op, d, 0, 0, imm); }));
        ASSERT_NE(exe, nullptr);
        for (uint64_t a : kValues) {
          auto regs = initial_regs(d, d, a, a);
          auto want = regs;
          uint64_t src = sem::imm64_operand(imm);
          want[d] = info.width == 64 ? sem::alu64(alu_op(op), regs[d], src)
                                     : sem::alu32(alu_op(op), regs[d], src);
          auto got = run_regs(*exe, m, regs);
          ASSERT_EQ(got, want) << info.name << " r" << int(d) << ", " << imm << " with "
                               << std::hex << a;
        }
      }
    }
  }
}

TEST(JitSemanticsTest, DivisionFlagsSkipOnlyTheChecksTheyName) {
  // With kDivisorNonZero/kDivisorNotMinusOne the results for other divisors are unchanged.
  TestMachine m;
  for (Op op : {Op::kDiv64Reg, Op::kSDiv64Reg, Op::kMod32Reg, Op::kSMod32Reg}) {
    auto insns = harness([&](ProgBuilder& p) { p.op(op, 1, 2); });
    JitOptions o;
    o.insn_flags.assign(insns.size(), 0);
    o.insn_flags[10] = kDivisorNonZero | kDivisorNotMinusOne;
    auto exe = jit_compile(insns, o);
    ASSERT_TRUE(exe.ok());
    for (uint64_t a : kValues) {
      for (uint64_t b : {uint64_t{3}, uint64_t{7}, uint64_t{0x100000003}, uint64_t(-7)}) {
        auto regs = initial_regs(1, 2, a, b);
        auto want = regs;
        want[1] = op_info(op).width == 64 ? sem::alu64(alu_op(op), a, b) : sem::alu32(alu_op(op), a, b);
        ASSERT_EQ(run_regs(**exe, m, regs), want);
      }
    }
  }
}

TEST(JitSemanticsTest, NegMovsxEndianMatchSemantics) {
  TestMachine m;
  std::vector<Op> ops = ops_of(Form::kNeg);
  for (Op op : ops_of(Form::kMovSx)) ops.push_back(op);
  for (Op op : ops_of(Form::kEndian)) ops.push_back(op);
  for (Op op : ops) {
    const OpInfo& info = op_info(op);
    for (auto [d, s] : kPairs) {
      if (info.form != Form::kMovSx && d != s) continue;
      auto exe = compile(harness([&](ProgBuilder& p) { p.op(op, d, info.form == Form::kMovSx ? s : 0, 0, info.form == Form::kEndian ? info.selval : 0); }));
      ASSERT_NE(exe, nullptr);
      for (uint64_t a : kValues) {
        for (uint64_t b : kValues) {
          auto regs = initial_regs(d, s, a, b);
          auto want = regs;
          if (info.form == Form::kNeg) {
            want[d] = info.width == 64 ? sem::neg64(regs[d]) : sem::neg32(regs[d]);
          } else if (info.form == Form::kMovSx) {
            want[d] = sem::movsx(regs[s], info.selval, info.width);
          } else {
            want[d] = sem::endian(endian_op(op), regs[d], info.width);
          }
          ASSERT_EQ(run_regs(*exe, m, regs), want) << info.name << " r" << int(d) << " r"
                                                   << int(s) << std::hex << " " << a << " " << b;
        }
      }
    }
  }
}

TEST(JitSemanticsTest, ConditionalJumpsMatchSemantics) {
  TestMachine m;
  std::vector<Op> ops = ops_of(Form::kJmpReg);
  for (Op op : ops_of(Form::kJmpImm)) ops.push_back(op);
  for (Op op : ops) {
    const OpInfo& info = op_info(op);
    bool imm_form = info.form == Form::kJmpImm;
    std::vector<int32_t> imms = imm_form ? std::vector<int32_t>(std::begin(kImms), std::end(kImms))
                                         : std::vector<int32_t>{0};
    for (auto [d, s] : std::array<std::pair<uint8_t, uint8_t>, 3>{{{1, 2}, {4, 3}, {5, 5}}}) {
      for (int32_t imm : imms) {
        auto exe = compile(harness([&](ProgBuilder& p) {
          p.op(op, d, imm_form ? 0 : s, 2, imm);
          p.op(Op::kStdw, kFramePointer, 0, kTakenSlot, 0);
          p.op(Op::kJa, 0, 0, 1);
          p.op(Op::kStdw, kFramePointer, 0, kTakenSlot, 1);
        }));
        ASSERT_NE(exe, nullptr);
        for (uint64_t a : kValues) {
          for (uint64_t b : kValues) {
            auto regs = initial_regs(d, imm_form ? d : s, a, imm_form ? a : b);
            uint64_t rhs = imm_form ? sem::imm64_operand(imm) : regs[s];
            bool want = info.width == 64 ? sem::jmp64(jmp_cond(op), regs[d], rhs)
                                         : sem::jmp32(jmp_cond(op), regs[d], rhs);
            set_slot(m, kTakenSlot, 7);
            auto got = run_regs(*exe, m, regs);
            ASSERT_EQ(got, regs) << info.name;
            ASSERT_EQ(slot(m, kTakenSlot), want ? 1u : 0u)
                << info.name << " r" << int(d) << std::hex << " " << a << " " << (imm_form ? uint64_t(imm) : b);
            if (imm_form) break;  // b is unused
          }
        }
      }
    }
  }
}

// sem::atomic out of line: g++ 12 -O2 miscompiled it inlined into the loop below (a
// fetch-or became an atomic load), so the reference is kept in its own frame.
[[gnu::noinline]] void reference_atomic(AtomicOp op, uint32_t width, uint64_t* cell,
                                        uint64_t& src, uint64_t& r0) {
  sem::atomic(op, width, reinterpret_cast<uint64_t>(cell), src, r0);
}

TEST(JitSemanticsTest, AtomicsMatchSemantics) {
  // The operand lives at r10-512 (stack) and the value compared by cmpxchg is r0; memory
  // equal to r0's low half makes cmpxchg succeed.
  constexpr int16_t kMem = -512;
  TestMachine m;
  for (Op op : ops_of(Form::kAtomic)) {
    const OpInfo& info = op_info(op);
    for (uint8_t s : {uint8_t{0}, uint8_t{2}, uint8_t{3}, uint8_t{4}}) {
      for (uint8_t base : {uint8_t{kFramePointer}, uint8_t{7}}) {
        auto exe = compile(harness([&](ProgBuilder& p) {
          if (base == 7) p.op(Op::kMov64Reg, 7, kFramePointer).op(Op::kAdd64Imm, 7, 0, 0, kMem);
          p.op(op, base, s, base == 7 ? 0 : kMem);
        }));
        ASSERT_NE(exe, nullptr);
        for (uint64_t r0 : {uint64_t{0x1111111100000005}, uint64_t{5}, uint64_t{UINT64_MAX}}) {
          for (uint64_t mem : {uint64_t{5}, uint64_t{0xffffffff00000005}, uint64_t{UINT64_MAX}, uint64_t{0x8000000000000001}}) {
            for (uint64_t b : {uint64_t{0x0f0f0f0f0f0f0f0f}, uint64_t{UINT64_MAX}, uint64_t{5}}) {
              auto regs = initial_regs(0, s, r0, b);
              if (base == 7) regs[7] = 0;  // overwritten with the pointer
              set_slot(m, kMem, mem);
              auto want = regs;
              uint64_t want_mem = mem;
              uint64_t src = regs[s], acc = regs[0];
              reference_atomic(atomic_op(op), info.width, &want_mem, src, acc);
              if (s != 0) want[s] = src;
              want[0] = acc;
              if (s == 0 && atomic_op(op) != AtomicOp::kCmpXchg) want[0] = src;
              auto got = run_regs(*exe, m, regs);
              if (base == 7) got[7] = 0;
              ASSERT_EQ(got, want) << info.name << " src r" << int(s) << std::hex << " r0 " << r0
                                   << " mem " << mem << " src " << b;
              ASSERT_EQ(slot(m, kMem), want_mem) << info.name << " src r" << int(s) << " base " << int(base) << std::hex << " r0 " << r0 << " mem " << mem << " b " << b;
            }
          }
        }
      }
    }
  }
}

TEST(JitSemanticsTest, JumpOverOneAluInstructionMatchesSemantics) {
  // The JIT turns "if (cond) skip one ALU instruction" into a cmov: every condition, both
  // widths, with ALU instructions of every convertible kind.
  TestMachine m;
  std::vector<Op> jumps = ops_of(Form::kJmpReg);
  for (Op op : ops_of(Form::kJmpImm)) jumps.push_back(op);
  const Insn alus[] = {test::make_insn(Op::kAdd64Imm, 3, 0, 0, 7), test::make_insn(Op::kMov64Reg, 3, 2),
                       test::make_insn(Op::kLsh32Imm, 3, 0, 0, 5), test::make_insn(Op::kMul64Reg, 3, 1),
                       test::make_insn(Op::kXor32Reg, 3, 2), test::make_insn(Op::kRsh64Reg, 3, 2),
                       test::make_insn(Op::kMov32Imm, 3, 0, 0, -1)};
  for (Op jop : jumps) {
    const OpInfo& ji = op_info(jop);
    bool imm_form = ji.form == Form::kJmpImm;
    for (const Insn& alu : alus) {
      auto exe = compile(harness([&](ProgBuilder& p) {
        p.op(jop, 1, imm_form ? 0 : 2, 1, imm_form ? 7 : 0);
        p.add(alu);
      }));
      ASSERT_NE(exe, nullptr);
      for (uint64_t a : kValues) {
        for (uint64_t b : {uint64_t{7}, uint64_t{0}, uint64_t{UINT64_MAX}, uint64_t{0x80000000}}) {
          auto regs = initial_regs(1, 2, a, b);
          uint64_t rhs = imm_form ? sem::imm64_operand(7) : regs[2];
          bool taken = ji.width == 64 ? sem::jmp64(jmp_cond(jop), regs[1], rhs)
                                      : sem::jmp32(jmp_cond(jop), regs[1], rhs);
          auto want = regs;
          if (!taken) {
            const OpInfo& ai = op_info(alu.op);
            uint64_t src = ai.form == Form::kAluImm ? sem::imm64_operand(alu.imm) : regs[alu.src];
            want[3] = ai.width == 64 ? sem::alu64(alu_op(alu.op), regs[3], src)
                                     : sem::alu32(alu_op(alu.op), regs[3], src);
          }
          ASSERT_EQ(run_regs(*exe, m, regs), want) << ji.name << " then " << op_info(alu.op).name
                                                   << std::hex << " " << a << " " << b;
        }
      }
    }
  }
}

TEST(JitSemanticsTest, FusedJumpPairsMatchSemantics) {
  // "if (cond) skip `ja`" becomes one inverted jump, and "if (cond) goto T; alu; goto T"
  // a cmov and one jump: every condition, both widths.
  TestMachine m;
  std::vector<Op> jumps = ops_of(Form::kJmpReg);
  for (Op op : ops_of(Form::kJmpImm)) jumps.push_back(op);
  for (Op jop : jumps) {
    const OpInfo& ji = op_info(jop);
    bool imm_form = ji.form == Form::kJmpImm;
    auto over_ja = compile(harness([&](ProgBuilder& p) {
      p.op(jop, 1, imm_form ? 0 : 2, 1, imm_form ? 7 : 0);  // taken: to the store of 1
      p.op(Op::kJa, 0, 0, 2);
      p.op(Op::kStdw, kFramePointer, 0, kTakenSlot, 1);
      p.op(Op::kJa, 0, 0, 1);
      p.op(Op::kStdw, kFramePointer, 0, kTakenSlot, 0);
    }));
    auto converge = compile(harness([&](ProgBuilder& p) {
      p.op(jop, 1, imm_form ? 0 : 2, 3, imm_form ? 7 : 0);
      p.op(Op::kAdd64Imm, 3, 0, 0, 7);
      p.op(Op::kJa, 0, 0, 1);
      p.op(Op::kMov64Imm, 3, 0, 0, 99);  // never runs
    }));
    ASSERT_NE(over_ja, nullptr);
    ASSERT_NE(converge, nullptr);
    for (uint64_t a : kValues) {
      for (uint64_t b : {uint64_t{7}, uint64_t{0}, uint64_t{UINT64_MAX}, uint64_t{0x80000000}}) {
        auto regs = initial_regs(1, 2, a, b);
        uint64_t rhs = imm_form ? sem::imm64_operand(7) : regs[2];
        bool taken = ji.width == 64 ? sem::jmp64(jmp_cond(jop), regs[1], rhs)
                                    : sem::jmp32(jmp_cond(jop), regs[1], rhs);
        set_slot(m, kTakenSlot, 7);
        ASSERT_EQ(run_regs(*over_ja, m, regs), regs) << ji.name;
        ASSERT_EQ(slot(m, kTakenSlot), taken ? 1u : 0u) << ji.name << std::hex << " " << a << " " << b;
        auto want = regs;
        if (!taken) want[3] = sem::alu64(AluOp::kAdd, regs[3], 7);
        ASSERT_EQ(run_regs(*converge, m, regs), want) << ji.name << std::hex << " " << a << " " << b;
      }
    }
  }
}

TEST(JitSemanticsTest, LddwLoadsAll64Bits) {
  TestMachine m;
  for (uint64_t v : kValues) {
    ProgBuilder p;
    p.lddw(0, v).op(Op::kExit);
    auto exe = compile(p.insns());
    ASSERT_NE(exe, nullptr);
    EXPECT_EQ(m.run(*exe), v);
  }
}

}  // namespace
}  // namespace bpfjit
