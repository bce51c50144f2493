// The interpreter against the ISA: every instruction of every group, checked against the
// semantics functions (that each Op reaches the right operation with the right operands),
// and the 18 corner cases of RFC 9669 (ISA_GROUPS.md section 2) asserted with literal values.
#include <cstring>

#include "runtime/isa/semantics.h"
#include "test/interp/interp_test_support.h"

namespace bpfjit::testing {
namespace {

const uint64_t kValues[] = {
    0, 1, 3, 7, 63, 65, 0xffffffffffffffffull, 0xfffffffffffffff3ull /* -13 */,
    0xfffffffffffffffdull /* -3 */, 0x8000000000000000ull, 0x7fffffffffffffffull,
    0x80000000ull, 0xffffffffull, 0x100000000ull, 0x100000004ull, 0x8877665544332211ull,
};
const int32_t kImms[] = {0, 1, 3, -1, -3, -10, -4, 31, 33, 64, INT32_MIN, INT32_MAX};

std::vector<Op> ops_of(std::initializer_list<Form> forms) {
  std::vector<Op> ops;
  for (size_t i = 0; i + 1 < kNumOps; ++i) {
    Op op = static_cast<Op>(i);
    for (Form f : forms) {
      if (form_of(op) == f) ops.push_back(op);
    }
  }
  return ops;
}

using IsaTest = InterpTest;

// --- every instruction, against semantics.h ---------------------------------------------

TEST_F(IsaTest, EveryAluRegOpComputesItsOperation) {
  auto ops = ops_of({Form::kAluReg});
  ASSERT_EQ(ops.size(), 28u);  // 14 operations x 2 widths
  for (Op op : ops) {
    for (uint64_t a : kValues) {
      for (uint64_t b : kValues) {
        Prog p;
        p.lddw(3, a).lddw(7, b).op(op, 3, 7).movr(0, 3).exit();
        uint64_t want = op_info(op).width == 64 ? sem::alu64(alu_op(op), a, b)
                                                : sem::alu32(alu_op(op), a, b);
        ASSERT_EQ(run(p), want) << op_info(op).name << " " << a << ", " << b;
      }
    }
  }
}

TEST_F(IsaTest, EveryAluImmOpComputesItsOperation) {
  auto ops = ops_of({Form::kAluImm});
  ASSERT_EQ(ops.size(), 28u);
  for (Op op : ops) {
    for (uint64_t a : kValues) {
      for (int32_t imm : kImms) {
        Prog p;
        p.lddw(4, a).op(op, 4, 0, 0, imm).movr(0, 4).exit();
        uint64_t b = sem::imm64_operand(imm);
        uint64_t want = op_info(op).width == 64 ? sem::alu64(alu_op(op), a, b)
                                                : sem::alu32(alu_op(op), a, b);
        ASSERT_EQ(run(p), want) << op_info(op).name << " " << a << ", " << imm;
      }
    }
  }
}

TEST_F(IsaTest, NegMovSxAndEndianComputeTheirOperation) {
  for (Op op : ops_of({Form::kNeg, Form::kMovSx, Form::kEndian})) {
    const OpInfo& info = op_info(op);
    for (uint64_t a : kValues) {
      Prog p;
      uint64_t want = 0;
      if (info.form == Form::kNeg) {
        p.lddw(5, a).op(op, 5).movr(0, 5).exit();
        want = info.width == 64 ? sem::neg64(a) : sem::neg32(a);
      } else if (info.form == Form::kMovSx) {
        p.lddw(8, a).op(op, 5, 8, static_cast<int16_t>(info.selval)).movr(0, 5).exit();
        want = sem::movsx(a, info.selval, info.width);
      } else {  // Form::kEndian
        p.lddw(5, a).op(op, 5, 0, 0, info.selval).movr(0, 5).exit();
        want = sem::endian(endian_op(op), a, info.width);
      }
      ASSERT_EQ(run(p), want) << info.name << " " << a;
    }
  }
}

TEST_F(IsaTest, EveryConditionalJumpTakesItsBranch) {
  auto ops = ops_of({Form::kJmpImm, Form::kJmpReg});
  ASSERT_EQ(ops.size(), 44u);  // 11 conditions x 2 widths x 2 source kinds
  for (Op op : ops) {
    const OpInfo& info = op_info(op);
    for (uint64_t a : kValues) {
      for (int32_t imm : kImms) {
        uint64_t b = info.form == Form::kJmpImm ? sem::imm64_operand(imm) : a ^ uint64_t(imm);
        Prog p;
        p.lddw(6, a).lddw(9, b).mov(0, 0);
        if (info.form == Form::kJmpImm) {
          p.op(op, 6, 0, 1, imm);
        } else {
          p.op(op, 6, 9, 1);
        }
        p.exit().mov(0, 1).exit();
        bool want = info.width == 64 ? sem::jmp64(jmp_cond(op), a, b)
                                     : sem::jmp32(jmp_cond(op), a, b);
        ASSERT_EQ(run(p), want ? 1u : 0u) << info.name << " " << a << ", " << b;
      }
    }
  }
}

TEST_F(IsaTest, LoadsAndStoresOfEveryWidthRoundTripOnTheStack) {
  const uint64_t v = 0x8877665544332211ull;
  struct Case {
    Op store_reg, store_imm, load, load_sx;
    uint32_t width;
  };
  const Case cases[] = {
      {Op::kStxb, Op::kStb, Op::kLdxb, Op::kLdxsb, 8},
      {Op::kStxh, Op::kSth, Op::kLdxh, Op::kLdxsh, 16},
      {Op::kStxw, Op::kStw, Op::kLdxw, Op::kLdxsw, 32},
      {Op::kStxdw, Op::kStdw, Op::kLdxdw, Op::kLdxdw, 64},
  };
  for (const Case& c : cases) {
    for (uint64_t val : {v, ~v, uint64_t{0x80}, uint64_t{0x7f}}) {
      Prog p;  // stx then ldx and ldxs*, at r10-16
      p.lddw(2, val).op(c.store_reg, 10, 2, -16).op(c.load, 0, 10, -16).exit();
      EXPECT_EQ(run(p), sem::truncate(val, c.width)) << op_info(c.load).name;
      Prog q;
      q.lddw(2, val).op(c.store_reg, 10, 2, -16).op(c.load_sx, 0, 10, -16).exit();
      uint64_t want = c.width == 64 ? val : sem::movsx(val, c.width, 64);
      EXPECT_EQ(run(q), want) << op_info(c.load_sx).name;
    }
    Prog s;  // st with a negative imm: the imm is sign-extended, then truncated
    s.op(c.store_imm, 10, 0, -8, -2).op(Op::kLdxdw, 0, 10, -8).exit();
    std::memset(stack_.data(), 0, stack_.size());
    EXPECT_EQ(run(s), sem::truncate(0xfffffffffffffffeull, c.width)) << op_info(c.store_imm).name;
  }
}

// Expected result of an atomic op on (mem, src, r0), written independently of semantics.h.
struct AtomicOutcome {
  uint64_t mem, src, r0;
};
AtomicOutcome expect_atomic(AtomicOp op, uint32_t width, uint64_t mem, uint64_t src,
                            uint64_t r0) {
  uint64_t mask = width == 32 ? 0xffffffffull : ~0ull;
  uint64_t old = mem & mask, s = src & mask;
  uint64_t upper = mem & ~mask;  // untouched by 32-bit atomics
  switch (op) {
    case AtomicOp::kAdd: return {upper | ((old + s) & mask), src, r0};
    case AtomicOp::kOr: return {upper | (old | s), src, r0};
    case AtomicOp::kAnd: return {upper | (old & s), src, r0};
    case AtomicOp::kXor: return {upper | (old ^ s), src, r0};
    case AtomicOp::kFetchAdd: return {upper | ((old + s) & mask), old, r0};
    case AtomicOp::kFetchOr: return {upper | (old | s), old, r0};
    case AtomicOp::kFetchAnd: return {upper | (old & s), old, r0};
    case AtomicOp::kFetchXor: return {upper | (old ^ s), old, r0};
    case AtomicOp::kXchg: return {upper | s, old, r0};
    case AtomicOp::kCmpXchg:
      return {(old == (r0 & mask)) ? (upper | s) : mem, src, old};
  }
  return {};
}

TEST_F(IsaTest, EveryAtomicUpdatesMemorySrcAndR0) {
  auto ops = ops_of({Form::kAtomic});
  ASSERT_EQ(ops.size(), 20u);
  const uint64_t mem0 = 0x1111111122222222ull;
  for (Op op : ops) {
    uint32_t width = op_info(op).width;
    for (uint64_t src : {uint64_t{0x0f0f0f0f33333333ull}, uint64_t{0x22222222ull}, mem0}) {
      for (uint64_t r0 : {mem0, uint64_t{0x22222222ull}, uint64_t{5}}) {
        // stack[0..8) = mem0; r3 = &stack[0]; atomic *(r3 + 8) op= r4; results to memory.
        std::memset(stack_.data(), 0, stack_.size());
        uint64_t base = reinterpret_cast<uint64_t>(stack_.data());
        Prog p;
        p.lddw(3, base - 8).lddw(2, mem0).op(Op::kStxdw, 3, 2, 8)
            .lddw(4, src).lddw(0, r0)
            .op(op, 3, 4, 8)
            .op(Op::kStxdw, 10, 4, -8)   // src after the op
            .op(Op::kStxdw, 10, 0, -16)  // r0 after the op
            .exit();
        run(p);
        uint64_t mem, src_after, r0_after;
        std::memcpy(&mem, stack_.data(), 8);
        std::memcpy(&src_after, stack_.data() + kStackSize - 8, 8);
        std::memcpy(&r0_after, stack_.data() + kStackSize - 16, 8);
        AtomicOutcome want = expect_atomic(atomic_op(op), width, mem0, src, r0);
        EXPECT_EQ(mem, want.mem) << op_info(op).name << " src " << src << " r0 " << r0;
        EXPECT_EQ(src_after, want.src) << op_info(op).name << " src " << src << " r0 " << r0;
        EXPECT_EQ(r0_after, want.r0) << op_info(op).name << " src " << src << " r0 " << r0;
      }
    }
  }
}

TEST_F(IsaTest, UnconditionalJumpsAndLddw) {
  Prog p;  // ja +1 skips a mov; ja32 uses imm; lddw loads all 64 bits
  p.mov(0, 1).op(Op::kJa, 0, 0, 1).mov(0, 2).op(Op::kJa32, 0, 0, 0, 1).mov(0, 3)
      .lddw(1, 0x123456789abcdef0ull).op(Op::kAdd64Reg, 0, 1).exit();
  EXPECT_EQ(run(p), 0x123456789abcdef1ull);
}

// --- the 18 corner cases of ISA_GROUPS.md section 2 -------------------------------------

TEST_F(IsaTest, Corner01DivisionByZeroGivesZero) {
  for (Op op : {Op::kDiv32Reg, Op::kDiv64Reg, Op::kSDiv32Reg, Op::kSDiv64Reg}) {
    Prog p;
    p.mov(0, 77).mov(1, 0).op(op, 0, 1).exit();
    EXPECT_EQ(run(p), 0u) << op_info(op).name;
  }
  for (Op op : {Op::kDiv32Imm, Op::kDiv64Imm, Op::kSDiv32Imm, Op::kSDiv64Imm}) {
    Prog p;  // the K form with imm 0 is legal and gives 0
    p.mov(0, 77).op(op, 0, 0, 0, 0).exit();
    EXPECT_EQ(run(p), 0u) << op_info(op).name;
  }
}

TEST_F(IsaTest, Corner02ModuloByZeroKeepsDst) {
  Prog p64;  // ALU64: dst unchanged
  p64.lddw(0, 0xfffffffffffffff6ull).mov(1, 0).op(Op::kMod64Reg, 0, 1).exit();
  EXPECT_EQ(run(p64), 0xfffffffffffffff6ull);
  Prog p32;  // ALU: low 32 bits kept, upper 32 zeroed (smod32-neg-by-zero)
  p32.lddw(0, 0xfffffffffffffff6ull).mov(1, 0).op(Op::kSMod32Reg, 0, 1).exit();
  EXPECT_EQ(run(p32), 0xfffffff6ull);
  Prog pk;
  pk.lddw(0, 0x1234567800000009ull).op(Op::kMod32Imm, 0, 0, 0, 0).exit();
  EXPECT_EQ(run(pk), 9u);
}

TEST_F(IsaTest, Corner03ThirtyTwoBitDivisorIsTheLowHalf) {
  Prog zero;  // 0x1_0000_0000 counts as 0 (div32-by-zero-reg-2)
  zero.mov(0, 100).lddw(1, 0x100000000ull).op(Op::kDiv32Reg, 0, 1).exit();
  EXPECT_EQ(run(zero), 0u);
  Prog four;  // 0x1_0000_0004 counts as 4 (div32-high-divisor)
  four.mov(0, 100).lddw(1, 0x100000004ull).op(Op::kDiv32Reg, 0, 1).exit();
  EXPECT_EQ(run(four), 25u);
}

TEST_F(IsaTest, Corner04SignedOverflowWraps) {
  Prog d64;
  d64.lddw(0, 0x8000000000000000ull).op(Op::kSDiv64Imm, 0, 0, 0, -1).exit();
  EXPECT_EQ(run(d64), 0x8000000000000000ull);
  Prog d32;
  d32.mov(0, INT32_MIN).mov(1, -1).op(Op::kSDiv32Reg, 0, 1).exit();
  EXPECT_EQ(run(d32), 0x80000000ull);
  Prog m64;
  m64.lddw(0, 0x8000000000000000ull).mov(1, -1).op(Op::kSMod64Reg, 0, 1).exit();
  EXPECT_EQ(run(m64), 0u);
  Prog m32;
  m32.mov(0, INT32_MIN).op(Op::kSMod32Imm, 0, 0, 0, -1).exit();
  EXPECT_EQ(run(m32), 0u);
}

TEST_F(IsaTest, Corner05SignedModuloTruncatesTowardZero) {
  struct {
    int32_t a, b;
    int64_t want;
  } cases[] = {{-13, 3, -1}, {13, -3, 1}, {-13, -3, -1}, {13, 3, 1}};
  for (auto c : cases) {
    Prog p;
    p.mov(0, c.a).mov(1, c.b).op(Op::kSMod64Reg, 0, 1).exit();
    EXPECT_EQ(run(p), static_cast<uint64_t>(c.want)) << c.a << " s% " << c.b;
    Prog q;
    q.mov(0, c.a).op(Op::kSMod32Imm, 0, 0, 0, c.b).exit();
    EXPECT_EQ(run(q), static_cast<uint32_t>(c.want)) << c.a << " s%32 " << c.b;
  }
}

TEST_F(IsaTest, Corner06ImmediatesAreSignExtendedFor64BitOps) {
  Prog div;  // div64-negative-imm: divides by 0xffff_ffff_ffff_fff6
  div.mov(0, -1).op(Op::kDiv64Imm, 0, 0, 0, -10).exit();
  EXPECT_EQ(run(div), 1u);
  Prog mov64;  // mov64-sign-extend
  mov64.op(Op::kMov64Imm, 0, 0, 0, -10).exit();
  EXPECT_EQ(run(mov64), 0xfffffffffffffff6ull);
  Prog mov32;
  mov32.mov(0, 5).op(Op::kMov32Imm, 0, 0, 0, -10).exit();
  EXPECT_EQ(run(mov32), 0xfffffff6ull);
  Prog div32;  // ALU: imm read as unsigned 32 bits
  div32.mov(0, -1).op(Op::kDiv32Imm, 0, 0, 0, -10).exit();
  EXPECT_EQ(run(div32), 1u);
  Prog jmp;  // j-signed-imm: the compare sees 0xffff_ffff_ffff_ffff
  jmp.mov(1, -1).mov(0, 0).op(Op::kJeqImm, 1, 0, 1, -1).exit().mov(0, 1).exit();
  EXPECT_EQ(run(jmp), 1u);
  Prog jmp32;  // JMP32 compares the low halves only
  jmp32.lddw(1, 0x700000005ull).mov(0, 0).op(Op::kJeq32Imm, 1, 0, 1, 5).exit().mov(0, 1).exit();
  EXPECT_EQ(run(jmp32), 1u);
}

TEST_F(IsaTest, Corner07ShiftCountsAreMasked) {
  Prog lsh32;  // lsh32-imm-neg: -4 acts as 28
  lsh32.mov(0, 1).op(Op::kLsh32Imm, 0, 0, 0, -4).exit();
  EXPECT_EQ(run(lsh32), 0x10000000u);
  Prog lsh64;  // register count 65 acts as 1
  lsh64.mov(0, 3).mov(1, 65).op(Op::kLsh64Reg, 0, 1).exit();
  EXPECT_EQ(run(lsh64), 6u);
  Prog rsh32;  // 33 acts as 1
  rsh32.mov(0, 8).mov(1, 33).op(Op::kRsh32Reg, 0, 1).exit();
  EXPECT_EQ(run(rsh32), 4u);
  Prog arsh64;  // -1 acts as 63
  arsh64.lddw(0, 0x8000000000000000ull).op(Op::kArsh64Imm, 0, 0, 0, -1).exit();
  EXPECT_EQ(run(arsh64), ~0ull);
}

TEST_F(IsaTest, Corner08ThirtyTwoBitResultsAreZeroExtended) {
  Prog neg;  // 0x1_0000_0002 becomes 0xffff_fffe
  neg.lddw(0, 0x100000002ull).op(Op::kNeg32, 0).exit();
  EXPECT_EQ(run(neg), 0xfffffffeull);
  Prog arsh;  // arsh32-imm-neg: sign fill inside 32 bits, then zero-extended
  arsh.lddw(0, 0xffffffff80000000ull).op(Op::kArsh32Imm, 0, 0, 0, 16).exit();
  EXPECT_EQ(run(arsh), 0xffff8000ull);
  Prog mul;  // mul32-reg-overflow
  mul.lddw(0, 0x40000001ull).mov(1, 4).op(Op::kMul32Reg, 0, 1).exit();
  EXPECT_EQ(run(mul), 4u);
  Prog mov;
  mov.lddw(1, 0xffffffffffffffffull).op(Op::kMov32Reg, 0, 1).exit();
  EXPECT_EQ(run(mov), 0xffffffffull);
  Prog add;
  add.lddw(0, 0xffffffffffffffffull).op(Op::kAdd32Imm, 0, 0, 0, 1).exit();
  EXPECT_EQ(run(add), 0u);
}

TEST_F(IsaTest, Corner09MovSx) {
  Prog p32;  // movsx832-reg: sign-extend into 32 bits, then zero-extend
  p32.mov(1, 0xef).op(Op::kMovSx8To32, 0, 1, 8).exit();
  EXPECT_EQ(run(p32), 0xffffffefull);
  Prog p64;
  p64.mov(1, 0xef).op(Op::kMovSx8To64, 0, 1, 8).exit();
  EXPECT_EQ(run(p64), 0xffffffffffffffefull);
  Prog p16;
  p16.mov(1, 0x8001).op(Op::kMovSx16To64, 0, 1, 16).exit();
  EXPECT_EQ(run(p16), 0xffffffffffff8001ull);
  Prog p3264;
  p3264.lddw(1, 0x1234567880000000ull).op(Op::kMovSx32To64, 0, 1, 32).exit();
  EXPECT_EQ(run(p3264), 0xffffffff80000000ull);
}

TEST_F(IsaTest, Corner10SignExtendingLoads) {
  stack_[kStackSize - 1] = 0x80;
  Prog sx;  // rfc9669_ldxsb
  sx.op(Op::kLdxsb, 0, 10, -1).exit();
  EXPECT_EQ(run(sx), 0xffffffffffffff80ull);
  Prog zx;  // plain ldxb zero-extends
  zx.op(Op::kLdxb, 0, 10, -1).exit();
  EXPECT_EQ(run(zx), 0x80u);
}

TEST_F(IsaTest, Corner11ByteSwapsTruncateToTheirWidth) {
  Prog be16;  // be16-high
  be16.lddw(0, 0x8877665544332211ull).op(Op::kBe16, 0, 0, 0, 16).exit();
  EXPECT_EQ(run(be16), 0x1122u);
  Prog bswap16;
  bswap16.lddw(0, 0x8877665544332211ull).op(Op::kBswap16, 0, 0, 0, 16).exit();
  EXPECT_EQ(run(bswap16), 0x1122u);
  Prog le16;  // le16-high: truncation only
  le16.lddw(0, 0xbbccddeeff001122ull).op(Op::kLe16, 0, 0, 0, 16).exit();
  EXPECT_EQ(run(le16), 0x1122u);
  Prog be32;
  be32.lddw(0, 0x8877665544332211ull).op(Op::kBe32, 0, 0, 0, 32).exit();
  EXPECT_EQ(run(be32), 0x11223344u);
  Prog be64;
  be64.lddw(0, 0x8877665544332211ull).op(Op::kBe64, 0, 0, 0, 64).exit();
  EXPECT_EQ(run(be64), 0x1122334455667788ull);
  Prog le64;
  le64.lddw(0, 0x8877665544332211ull).op(Op::kLe64, 0, 0, 0, 64).exit();
  EXPECT_EQ(run(le64), 0x8877665544332211ull);
}

TEST_F(IsaTest, Corner12ThirtyTwoBitAtomicsTouchFourBytes) {
  uint64_t mem = 0x1111111122222222ull;
  std::memcpy(stack_.data() + kStackSize - 8, &mem, 8);
  Prog xchg;  // lock_xchg32: src gets the old low half, the high half stays in memory
  xchg.lddw(1, 0xaaaaaaaa33333333ull).op(Op::kAtomicXchg32, 10, 1, -8).movr(0, 1).exit();
  EXPECT_EQ(run(xchg), 0x22222222u);
  std::memcpy(&mem, stack_.data() + kStackSize - 8, 8);
  EXPECT_EQ(mem, 0x1111111133333333ull);
  Prog cas;  // cmpxchg compares with r0 and loads the old value into r0 either way
  cas.lddw(0, 0x33333333ull).mov(1, 7).op(Op::kAtomicCmpXchg32, 10, 1, -8).exit();
  EXPECT_EQ(run(cas), 0x33333333u);
  std::memcpy(&mem, stack_.data() + kStackSize - 8, 8);
  EXPECT_EQ(mem, 0x1111111100000007ull);
  Prog miss;
  miss.mov(0, 5).mov(1, 9).op(Op::kAtomicCmpXchg64, 10, 1, -8).exit();
  EXPECT_EQ(run(miss), 0x1111111100000007ull);
  std::memcpy(&mem, stack_.data() + kStackSize - 8, 8);
  EXPECT_EQ(mem, 0x1111111100000007ull);
}

TEST_F(IsaTest, Corner13LddwTakesTwoSlots) {
  Prog p;  // the jump counts both slots of the lddw it skips
  p.mov(0, 1).op(Op::kJa, 0, 0, 2).lddw(0, 99).op(Op::kAdd64Imm, 0, 0, 0, 1).exit();
  EXPECT_EQ(run(p), 2u);
  auto insns = p.build();
  ASSERT_EQ(insns.size(), 6u);
  EXPECT_EQ(insns[3].op, Op::kLddwHigh);
}

TEST_F(IsaTest, Corner14LocalCallsKeepR6ToR9AndGetTheirOwnFrame) {
  Prog p;
  // main: r6..r9 = 6..9; r1 = 40; call sub; r0 += r6 + r7 + r8 + r9; exit
  p.mov(6, 6).mov(7, 7).mov(8, 8).mov(9, 9).mov(1, 40)
      .op(Op::kCallLocal, 0, 1, 0, 6)
      .op(Op::kAdd64Reg, 0, 6).op(Op::kAdd64Reg, 0, 7).op(Op::kAdd64Reg, 0, 8)
      .op(Op::kAdd64Reg, 0, 9).exit()
      // sub: clobbers r6..r9, stores r10 to its frame, r0 = r1 + 2
      .mov(6, 100).mov(7, 100).mov(8, 100).mov(9, 100)
      .op(Op::kStxdw, 10, 10, -8)
      .movr(0, 1).op(Op::kAdd64Imm, 0, 0, 0, 2).exit();
  EXPECT_EQ(run(p), 42u + 6 + 7 + 8 + 9);
  uint64_t callee_r10;
  std::memcpy(&callee_r10, stack_.data() + kStackSize - kStackFrameSize - 8, 8);
  EXPECT_EQ(callee_r10, stack_top() - kStackFrameSize);
}

TEST_F(IsaTest, Corner15Ja32UsesImmNotOff) {
  Prog p;
  p.mov(0, 1).op(Op::kJa32, 0, 0, 0, 2).mov(0, 2).mov(0, 3).exit();
  EXPECT_EQ(run(p), 1u);
}

TEST_F(IsaTest, Corner16NegIsImmOnlyAndUnusedFieldsMustBeZero) {
  // 0x8c would be neg32 with the X bit: not an instruction.
  RawInsn raw[] = {{0x8c, 0x10, 0, 0}, {0x95, 0, 0, 0}};
  EXPECT_FALSE(decode(raw).ok());
  Insn neg;
  neg.op = Op::kNeg64;
  neg.src = 1;  // unused field set
  Insn exit;
  exit.op = Op::kExit;
  auto exe = make_interpreter({neg, exit});
  ASSERT_FALSE(exe.ok());
  EXPECT_EQ(exe.error().code, ErrorCode::kDecode);
  EXPECT_EQ(exe.error().insn, 0u);
}

TEST_F(IsaTest, Corner17ExitNeedNotBeLast) {
  Prog p;  // exit-not-last: the program ends with a backward ja
  p.mov(0, 0).op(Op::kJa, 0, 0, 2).op(Op::kAdd64Imm, 0, 0, 0, 1).exit()
      .op(Op::kAdd64Imm, 0, 0, 0, 10).op(Op::kJa, 0, 0, -4);
  EXPECT_EQ(run(p), 11u);
}

uint64_t return_r1(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return r1;
}

TEST_F(IsaTest, Corner18HelperFiveReturnsR1AndTheProgramGoesOn) {
  std::vector<HelperFn> helpers(6, nullptr);
  helpers[5] = &return_r1;
  ctx_.helpers = helpers;
  Prog p;  // call_unwind_fail
  p.mov(1, -1).op(Op::kCall, 0, 0, 0, 5).mov(0, 2).exit();
  EXPECT_EQ(run(p), 2u);
  Prog q;
  q.mov(1, 1234).op(Op::kCall, 0, 0, 0, 5).exit();
  EXPECT_EQ(run(q), 1234u);
}

}  // namespace
}  // namespace bpfjit::testing
