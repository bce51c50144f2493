// The JIT's compile speed on synthetic straight-line programs.
#include <algorithm>

#include "bench/harness/bpf_engine.h"
#include "bench/harness/harness.h"
#include "jit/jit.h"

namespace bpfjit::bench {

CompileSpeed measure_compile(uint32_t insns, int repeats) {
  // A straight-line mix of 64-bit ALU operations on r0..r5 (the input registers seeded
  // with constants first), then exit: the JIT's per-instruction cost without memory checks.
  std::vector<Insn> prog;
  auto alu = [&](Op op, uint8_t dst, uint8_t src, int32_t imm) {
    Insn i{};
    i.op = op;
    i.dst = dst;
    i.src = src;
    i.imm = imm;
    prog.push_back(i);
  };
  const Op kOps[] = {Op::kAdd64Imm, Op::kXor64Reg, Op::kMul64Imm, Op::kRsh64Imm,
                     Op::kSub64Reg, Op::kOr64Imm,  Op::kAnd64Reg, Op::kLsh64Imm};
  uint32_t body = insns > 7 ? insns - 7 : 0;
  for (uint8_t r = 0; r <= 5; ++r) alu(Op::kMov64Imm, r, 0, r + 1);
  for (uint32_t k = 0; k < body; ++k) {
    Op op = kOps[k % 8];
    int32_t imm = (op == Op::kRsh64Imm || op == Op::kLsh64Imm) ? 3 : static_cast<int32_t>(k);
    bool reg = op == Op::kXor64Reg || op == Op::kSub64Reg || op == Op::kAnd64Reg;
    alu(op, static_cast<uint8_t>(k % 6), reg ? static_cast<uint8_t>((k + 1) % 6) : 0,
        reg ? 0 : imm);
  }
  Insn exit{};
  exit.op = Op::kExit;
  prog.push_back(exit);
  CompileSpeed s;
  s.insns = static_cast<uint32_t>(prog.size());
  JitOptions opts;
  opts.helpers = bench_helpers().fns();
  std::vector<double> samples;
  for (int i = 0; i < repeats; ++i) {
    double t0 = thread_seconds();
    auto exe = jit_compile(prog, opts);
    double dt = thread_seconds() - t0;
    if (!exe) return s;
    samples.push_back(dt);
  }
  std::sort(samples.begin(), samples.end());
  s.median_s = samples.empty() ? 0 : samples[samples.size() / 2];
  return s;
}

}  // namespace bpfjit::bench
