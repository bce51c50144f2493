// Constant blinding (JitOptions::harden): no immediate of the program, nor a constant the
// JIT derives from one, appears verbatim in the code memory of a hardened program; without
// harden they do (so the scan can fail). Results are unchanged: the differential tests and
// the conformance suite run with harden too.
//
// The programs use large random constants (every byte non-zero, fixed seed), so a hit in
// the code is meaningful. The keys are random at each compile and the tests do not depend
// on them: a blinded value is random, and could by chance line up with a scanned pattern
// (about 1 in 10^4 per program); a hit counts only when a second compile, with fresh keys,
// shows it too, as a real leak would.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "jit/jit.h"
#include "runtime/interp/interpreter.h"
#include "runtime/isa/disasm.h"
#include "test/jit/jit_test_util.h"

namespace bpfjit {
namespace {

using test::ProgBuilder;
using test::TestMachine;

// A value to look for in the code: its little-endian bytes.
struct Pattern {
  std::vector<uint8_t> bytes;
  std::string what;
  bool plain_has_it;  // the code without harden holds it verbatim
};

std::vector<uint8_t> le(uint64_t v, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

bool contains(std::span<const uint8_t> code, const std::vector<uint8_t>& p) {
  return std::search(code.begin(), code.end(), p.begin(), p.end()) != code.end();
}

// A program with immediates in every instruction class that takes one, and the patterns
// that blinding must hide.
struct Subject {
  std::vector<Insn> insns;
  std::vector<Pattern> patterns;
};

class SubjectBuilder {
 public:
  explicit SubjectBuilder(uint64_t seed) : rng_(seed) {}

  // A 32-bit constant with four distinct, non-zero, non-0xff bytes, |v| >= 2^24.
  int32_t big() {
    for (;;) {
      auto v = static_cast<uint32_t>(rng_());
      std::vector<uint8_t> b = le(v, 4);
      bool ok = true;
      for (size_t i = 0; i < 4; ++i) {
        ok = ok && b[i] != 0 && b[i] != 0xff;
        for (size_t j = 0; j < i; ++j) ok = ok && b[i] != b[j];
      }
      if (ok && std::find(used_.begin(), used_.end(), v) == used_.end()) {
        used_.push_back(v);
        return static_cast<int32_t>(v);
      }
    }
  }

  // The 4-byte form, and the sign-extended 8-byte form, of a 32-bit immediate.
  void expect_hidden32(int32_t imm, const std::string& what, bool plain_has_it) {
    s_.patterns.push_back({le(static_cast<uint32_t>(imm), 4), what, plain_has_it});
    s_.patterns.push_back(
        {le(static_cast<uint64_t>(static_cast<int64_t>(imm)), 8), what + " (sign-extended)",
         false});
  }

  Subject build() {
    ProgBuilder& p = p_;
    // r6 = the input buffer; r0 accumulates.
    p.op(Op::kMov64Reg, 6, 1);
    p.op(Op::kMov64Imm, 0, 0, 0, 0);
    // ALU, 64 and 32 bits, every operation with an immediate operand.
    for (bool w64 : {true, false}) {
      const char* sfx = w64 ? "64" : "32";
      struct AluCase {
        Op op64, op32;
        const char* name;
      };
      const AluCase cases[] = {
          {Op::kMov64Imm, Op::kMov32Imm, "mov"}, {Op::kAdd64Imm, Op::kAdd32Imm, "add"},
          {Op::kSub64Imm, Op::kSub32Imm, "sub"}, {Op::kOr64Imm, Op::kOr32Imm, "or"},
          {Op::kAnd64Imm, Op::kAnd32Imm, "and"}, {Op::kXor64Imm, Op::kXor32Imm, "xor"},
          {Op::kMul64Imm, Op::kMul32Imm, "mul"}, {Op::kDiv64Imm, Op::kDiv32Imm, "div"},
          {Op::kMod64Imm, Op::kMod32Imm, "mod"}, {Op::kSDiv64Imm, Op::kSDiv32Imm, "sdiv"},
          {Op::kSMod64Imm, Op::kSMod32Imm, "smod"},
      };
      for (const AluCase& c : cases) {
        int32_t imm = big();
        p.op(w64 ? c.op64 : c.op32, 2, 0, 0, imm);
        p.op(Op::kAdd64Reg, 0, 2);
        expect_hidden32(imm, std::string(c.name) + sfx, true);
      }
    }
    // A mask the JIT derives: x % 2^30 is x & 0x3fffffff.
    p.op(Op::kMod64Imm, 2, 0, 0, 1 << 30);
    p.op(Op::kAdd64Reg, 0, 2);
    expect_hidden32((1 << 30) - 1, "mod 2^30's mask", true);
    // Conditional jumps, 64 and 32 bits, every condition; each pattern the JIT selects
    // specially: a plain jump, a cmov of a skipped ALU immediate, a jump over a ja.
    const Op jmp64[] = {Op::kJeqImm, Op::kJgtImm, Op::kJgeImm, Op::kJsetImm,
                        Op::kJneImm, Op::kJsgtImm, Op::kJsgeImm, Op::kJltImm,
                        Op::kJleImm, Op::kJsltImm, Op::kJsleImm};
    const Op jmp32[] = {Op::kJeq32Imm, Op::kJgt32Imm, Op::kJge32Imm, Op::kJset32Imm,
                        Op::kJne32Imm, Op::kJsgt32Imm, Op::kJsge32Imm, Op::kJlt32Imm,
                        Op::kJle32Imm, Op::kJslt32Imm, Op::kJsle32Imm};
    for (int shape = 0; shape < 3; ++shape) {
      for (bool w64 : {true, false}) {
        for (size_t i = 0; i < 11; ++i) {
          Op op = w64 ? jmp64[i] : jmp32[i];
          int32_t imm = big();
          std::string what(op_info(op).name);
          if (shape == 0) {
            // jcc +1 ; add r0, 1  (if-converted: cmov)
            p.op(op, 0, 0, 1, imm);
            int32_t add = big();
            p.op(Op::kAdd64Imm, 0, 0, 0, add);
            expect_hidden32(add, "add under " + what, true);
          } else if (shape == 1) {
            // jcc +1 ; ja +1 ; add r0, r2  (one inverted jump)
            p.op(op, 0, 0, 1, imm);
            p.op(Op::kJa, 0, 0, 1);
            p.op(Op::kAdd64Reg, 0, 2);
          } else {
            // jcc +2 ; add r0, r2 ; add r0, r0  (a plain jump)
            p.op(op, 0, 0, 2, imm);
            p.op(Op::kAdd64Reg, 0, 2);
            p.op(Op::kAdd64Reg, 0, 0);
          }
          expect_hidden32(imm, what, true);
        }
      }
    }
    // Stores of immediates, every width (8 and 16 bits hold only the low bytes).
    const Op stores[] = {Op::kStb, Op::kSth, Op::kStw, Op::kStdw};
    for (size_t i = 0; i < 4; ++i) {
      int32_t imm = big();
      p.op(stores[i], 10, 0, static_cast<int16_t>(-8 * (i + 1)), imm);
      expect_hidden32(imm, std::string(op_info(stores[i]).name), i >= 2);
    }
    // ... and into the input buffer (checked: an inline check first).
    int32_t st_in = big();
    p.op(Op::kStw, 6, 0, 4, st_in);
    expect_hidden32(st_in, "stw to the input", true);
    // 64-bit immediates: the whole value and both halves.
    for (int i = 0; i < 3; ++i) {
      uint64_t v = uint64_t{static_cast<uint32_t>(big())} << 32 | static_cast<uint32_t>(big());
      p.lddw(3, v);
      p.op(Op::kAdd64Reg, 0, 3);
      s_.patterns.push_back({le(v, 8), "lddw", true});
      s_.patterns.push_back({le(v, 4), "lddw low half", true});
      s_.patterns.push_back({le(v >> 32, 4), "lddw high half", true});
    }
    // Pointer arithmetic the JIT folds into addresses: mov r7, r6 ; add r7, imm ; ldxb
    // r7, [r7 + 0] (one load off r6 + imm), and two accesses off r8 = r6 + imm sharing one
    // check in checked mode (the check computes r6 + imm).
    int32_t fold = big();
    p.op(Op::kMov64Reg, 7, 6).op(Op::kAdd64Imm, 7, 0, 0, fold).op(Op::kLdxb, 7, 7, 0);
    p.op(Op::kAdd64Reg, 0, 7);
    expect_hidden32(fold, "add folded into a load", true);
    int32_t base = big();
    p.op(Op::kMov64Reg, 8, 6).op(Op::kAdd64Imm, 8, 0, 0, base);
    p.op(Op::kLdxw, 2, 8, 0).op(Op::kLdxw, 3, 8, 8).op(Op::kAdd64Reg, 0, 2).op(Op::kAdd64Reg, 0, 3);
    expect_hidden32(base, "base of shared checks", true);
    // A counted loop whose bound and stride are immediates: the checked JIT checks its
    // accesses at the head from them (stride * jmax, the bound).
    int32_t bound = big() & 0x7fffffff;
    int32_t stride = big() & 0x00ffffff;
    p.op(Op::kMov64Imm, 4, 0, 0, 0);
    size_t head = p.size();
    p.op(Op::kLdxdw, 2, 6, 0)
        .op(Op::kAdd64Reg, 0, 2)
        .op(Op::kAdd64Imm, 6, 0, 0, stride)
        .op(Op::kAdd64Imm, 4, 0, 0, 1);
    p.op(Op::kJltImm, 4, 0, static_cast<int16_t>(static_cast<int64_t>(head) - static_cast<int64_t>(p.size()) - 1),
         bound);
    expect_hidden32(bound, "loop bound", true);
    expect_hidden32(stride, "loop stride", true);
    p.op(Op::kExit);
    s_.insns = p.insns();
    return s_;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<uint32_t> used_;
  ProgBuilder p_;
  Subject s_;
};

std::unique_ptr<Executable> compile(const std::vector<Insn>& insns, bool checked, bool harden) {
  JitOptions o;
  o.checked = checked;
  o.harden = harden;
  auto exe = jit_compile(insns, o);
  EXPECT_TRUE(exe.ok()) << exe.error().to_string();
  return exe.ok() ? std::move(*exe) : nullptr;
}

// The patterns found in the code of a compile, confirmed by a second compile.
std::vector<std::string> leaks(const Subject& s, bool checked) {
  auto first = compile(s.insns, checked, true);
  auto second = compile(s.insns, checked, true);
  if (!first || !second) return {"no code"};
  std::vector<std::string> out;
  for (const Pattern& p : s.patterns) {
    if (contains(jit_code(*first), p.bytes) && contains(jit_code(*second), p.bytes)) {
      out.push_back(p.what);
    }
  }
  return out;
}

class JitHardenScanTest : public ::testing::TestWithParam<bool> {};  // checked?

TEST_P(JitHardenScanTest, NoImmediateAppearsInHardenedCode) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    Subject s = SubjectBuilder(seed).build();
    std::vector<std::string> found = leaks(s, GetParam());
    EXPECT_TRUE(found.empty()) << "seed " << seed << ": " << testing::PrintToString(found);
  }
}

TEST_P(JitHardenScanTest, WithoutHardenTheImmediatesAreInTheCode) {
  // The same scan finds them when blinding is off: it can fail.
  Subject s = SubjectBuilder(1).build();
  auto plain = compile(s.insns, GetParam(), false);
  ASSERT_TRUE(plain);
  size_t expected = 0;
  for (const Pattern& p : s.patterns) {
    if (!p.plain_has_it) continue;
    ++expected;
    EXPECT_TRUE(contains(jit_code(*plain), p.bytes)) << p.what;
  }
  EXPECT_GT(expected, 80u);
}

TEST_P(JitHardenScanTest, HardenedCodeComputesTheSame) {
  // The subject program on the interpreter, the plain JIT and the hardened JIT: the same
  // r0, the same trap and the same memory (the loop reads past the buffer and traps in
  // checked mode; trusted mode runs a version of the program that stops before it).
  for (uint64_t seed : {1u, 2u, 3u}) {
    Subject s = SubjectBuilder(seed).build();
    std::vector<Insn> insns = s.insns;
    if (!GetParam()) {
      // Trusted code must stay in bounds: end before the pointer arithmetic.
      auto fold = std::find_if(insns.begin(), insns.end(), [](const Insn& in) {
        return in.op == Op::kMov64Reg && in.dst == 7;
      });
      ASSERT_NE(fold, insns.end());
      *fold = test::make_insn(Op::kExit);
    }
    auto interp = make_interpreter(insns);
    ASSERT_TRUE(interp.ok());
    auto plain = compile(insns, GetParam(), false);
    auto hard = compile(insns, GetParam(), true);
    ASSERT_TRUE(plain && hard);
    TestMachine a(64), b(64), c(64);
    for (size_t i = 0; i < 64; ++i) {
      a.mem[i] = b.mem[i] = c.mem[i] = static_cast<uint8_t>(i * 29 + seed);
    }
    uint64_t r_interp = a.run(**interp);
    uint64_t r_plain = b.run(*plain);
    uint64_t r_hard = c.run(*hard);
    EXPECT_EQ(a.ctx.trap.kind, c.ctx.trap.kind);
    EXPECT_EQ(a.ctx.trap.insn, c.ctx.trap.insn);
    EXPECT_EQ(b.ctx.trap.kind, c.ctx.trap.kind);
    if (a.ctx.trap.kind == TrapKind::kNone) {
      EXPECT_EQ(r_interp, r_hard);
      EXPECT_EQ(r_plain, r_hard);
    }
    EXPECT_EQ(a.mem, c.mem);
    EXPECT_EQ(0, std::memcmp(a.stack, c.stack, kStackSize));
    if (GetParam()) {
      EXPECT_EQ(c.ctx.trap.kind, TrapKind::kMemory);
    } else {
      EXPECT_EQ(c.ctx.trap.kind, TrapKind::kNone);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, JitHardenScanTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Checked" : "Trusted");
                         });

// A call to a helper id the table lacks compiles to a trap that records the id: blinded
// too, as it is the program's immediate.
TEST(JitHardenTest, UnknownHelperIdIsBlinded) {
  ProgBuilder p;
  constexpr int32_t kId = 0x5a3c1e07;
  p.op(Op::kCall, 0, 0, 0, kId).op(Op::kExit);
  auto plain = compile(p.insns(), true, false);
  ASSERT_TRUE(plain);
  EXPECT_TRUE(contains(jit_code(*plain), le(kId, 4)));
  auto hard = compile(p.insns(), true, true);
  auto again = compile(p.insns(), true, true);
  ASSERT_TRUE(hard && again);
  EXPECT_FALSE(contains(jit_code(*hard), le(kId, 4)) && contains(jit_code(*again), le(kId, 4)));
  TestMachine m;
  m.run(*hard);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kBadHelper);
  EXPECT_EQ(m.ctx.trap.addr, uint64_t{kId});
}

// Each compile draws fresh keys: two hardened compiles of one program differ, and
// jit_dump shows the blinding (the value xor a key, then the key).
TEST(JitHardenTest, KeysAreFreshAtEveryCompile) {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 0, 0, 0, 0x1c2d3e4f).op(Op::kExit);
  auto a = compile(p.insns(), false, true);
  auto b = compile(p.insns(), false, true);
  ASSERT_TRUE(a && b);
  std::span<const uint8_t> ca = jit_code(*a), cb = jit_code(*b);
  EXPECT_FALSE(ca.size() == cb.size() && std::equal(ca.begin(), ca.end(), cb.begin()));
  JitOptions o;
  o.checked = false;
  o.harden = true;
  auto text = jit_dump(p.insns(), o);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->find("0x1C2D3E4F"), std::string::npos) << *text;
  EXPECT_NE(text->find("xor rax, 0x"), std::string::npos) << *text;
}

}  // namespace
}  // namespace bpfjit
