// Small tools for the interpreter's tests: a program builder and a run fixture.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "runtime/interp/interpreter.h"
#include "runtime/isa/decode.h"

namespace bpfjit::testing {

// Builds a program one instruction at a time. Jump offsets are written as in the encoding
// (relative to the next slot); the field that selects between instructions sharing an
// opcode byte (off for sdiv/smod/movsx, imm for atomics and byte swaps, src for lddw and
// call kinds) is filled from the Op itself. build() runs encode()+decode() so that targets and the
// second slot of each lddw come out exactly as the decoder makes them.
class Prog {
 public:
  Prog& op(Op o, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
    Insn in;
    in.op = o;
    in.dst = dst;
    in.src = src;
    in.off = off;
    in.imm = imm;
    const OpInfo& info = op_info(o);
    switch (info.sel) {
      case Sel::kNone: break;
      case Sel::kOff: in.off = static_cast<int16_t>(info.selval); break;
      case Sel::kImm: in.imm = info.selval; break;
      case Sel::kSrc: in.src = static_cast<uint8_t>(info.selval); break;
    }
    insns_.push_back(in);
    return *this;
  }
  // dst = imm (64-bit move)
  Prog& mov(uint8_t dst, int32_t imm) { return op(Op::kMov64Imm, dst, 0, 0, imm); }
  // dst = src (64-bit move)
  Prog& movr(uint8_t dst, uint8_t src) { return op(Op::kMov64Reg, dst, src); }
  Prog& lddw(uint8_t dst, uint64_t v) {
    op(Op::kLddw, dst, 0, 0, static_cast<int32_t>(static_cast<uint32_t>(v)));
    insns_.back().imm64 = v;
    return *this;
  }
  Prog& exit() { return op(Op::kExit); }

  std::vector<Insn> build() const {
    auto insns = decode(encode(insns_));
    EXPECT_TRUE(insns.ok()) << insns.error().to_string();
    return insns.ok() ? *insns : std::vector<Insn>{};
  }

 private:
  std::vector<Insn> insns_;
};

// A fixture with a stack and a run helper.
class InterpTest : public ::testing::Test {
 protected:
  std::unique_ptr<Executable> make(const Prog& p) {
    auto exe = make_interpreter(p.build());
    EXPECT_TRUE(exe.ok()) << exe.error().to_string();
    return exe.ok() ? std::move(*exe) : nullptr;
  }

  // Runs with the fixture's context; fails the test on a trap unless one is expected.
  uint64_t run(const Prog& p, uint64_t r1 = 0, uint64_t r2 = 0) {
    auto exe = make(p);
    if (!exe) return 0;
    uint64_t r0 = exe->run(ctx_, r1, r2);
    EXPECT_EQ(ctx_.trap.kind, TrapKind::kNone) << ctx_.trap.to_string();
    return r0;
  }

  // Runs expecting a trap of `kind`; returns the trap.
  Trap run_trap(const Prog& p, TrapKind kind, uint64_t r1 = 0, uint64_t r2 = 0) {
    auto exe = make(p);
    if (!exe) return {};
    exe->run(ctx_, r1, r2);
    EXPECT_EQ(ctx_.trap.kind, kind) << ctx_.trap.to_string();
    return ctx_.trap;
  }

  uint64_t stack_top() const { return reinterpret_cast<uint64_t>(stack_.data()) + kStackSize; }

  void SetUp() override { ctx_.stack = stack_.data(); }

  std::vector<uint8_t> stack_ = std::vector<uint8_t>(kStackSize, 0);
  RunContext ctx_;
};

}  // namespace bpfjit::testing
