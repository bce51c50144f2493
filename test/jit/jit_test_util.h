// Small helpers shared by the JIT tests: building programs from decoded instructions and
// running them with a stack and one memory region.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/machine.h"

namespace bpfjit::test {

inline Insn make_insn(Op op, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
  Insn in;
  in.op = op;
  in.dst = dst;
  in.src = src;
  in.off = off;
  in.imm = imm;
  return in;
}

// Appends instructions, resolving relative jump offsets to absolute targets as decode() does.
class ProgBuilder {
 public:
  ProgBuilder& add(Insn in) {
    Form f = form_of(in.op);
    uint32_t pc = static_cast<uint32_t>(insns_.size());
    if (f == Form::kJa || f == Form::kJmpImm || f == Form::kJmpReg) {
      in.imm64 = static_cast<uint64_t>(int64_t{pc} + 1 + in.off);
    } else if (f == Form::kJa32 || f == Form::kCallLocal) {
      in.imm64 = static_cast<uint64_t>(int64_t{pc} + 1 + in.imm);
    }
    insns_.push_back(in);
    return *this;
  }
  ProgBuilder& op(Op op, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
    return add(make_insn(op, dst, src, off, imm));
  }
  ProgBuilder& lddw(uint8_t dst, uint64_t value) {
    Insn in = make_insn(Op::kLddw, dst, 0, 0, static_cast<int32_t>(value));
    in.imm64 = value;
    insns_.push_back(in);
    Insn hi;
    hi.op = Op::kLddwHigh;
    hi.imm = static_cast<int32_t>(value >> 32);
    hi.imm64 = value;
    insns_.push_back(hi);
    return *this;
  }
  size_t size() const { return insns_.size(); }
  const std::vector<Insn>& insns() const { return insns_; }

 private:
  std::vector<Insn> insns_;
};

// A stack and a writable input buffer (region 0), ready to run a program on.
struct TestMachine {
  alignas(16) uint8_t stack[kStackSize] = {};
  std::vector<uint8_t> mem;
  MemRegion regions[2];
  RunContext ctx;

  explicit TestMachine(size_t mem_size = 64, bool writable = true) : mem(mem_size) {
    regions[0] = MemRegion{reinterpret_cast<uint64_t>(mem.data()),
                           reinterpret_cast<uint64_t>(mem.data()) + mem.size(), writable};
    ctx.stack = stack;
    ctx.regions = regions;
    ctx.region_count = 1;
  }
  uint64_t mem_addr() const { return reinterpret_cast<uint64_t>(mem.data()); }
  uint64_t run(const Executable& exe) { return exe.run(ctx, mem_addr(), mem.size()); }
};

}  // namespace bpfjit::test
