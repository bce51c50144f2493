// Micro-benchmarks of the JIT (Google Benchmark): translation time of a 10-instruction and
// a 4,096-instruction program (decoded program to callable code, everything included),
// translation throughput in instructions per second, and the cost of entering an empty
// program through Executable::run on the JIT and on the interpreter.
#include <benchmark/benchmark.h>

#include <vector>

#include "jit/jit.h"
#include "runtime/interp/interpreter.h"

namespace bpfjit {
namespace {

Insn insn(Op op, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  Insn in;
  in.op = op;
  in.dst = dst;
  in.src = src;
  in.off = off;
  in.imm = imm;
  return in;
}

// A straight-line mix of ALU, memory and forward jumps, ending in exit.
std::vector<Insn> program(size_t n) {
  std::vector<Insn> p;
  p.push_back(insn(Op::kMov64Imm, 0, 0, 0, 0));
  while (p.size() + 1 < n) {
    size_t pc = p.size();
    switch (pc % 8) {
      case 0: p.push_back(insn(Op::kAdd64Imm, 0, 0, 0, 3)); break;
      case 1: p.push_back(insn(Op::kMov64Reg, 2, 0, 0, 0)); break;
      case 2: p.push_back(insn(Op::kXor32Reg, 3, 2, 0, 0)); break;
      case 3: p.push_back(insn(Op::kStxdw, 10, 0, -8, 0)); break;
      case 4: p.push_back(insn(Op::kLdxdw, 4, 10, -8, 0)); break;
      case 5: p.push_back(insn(Op::kLsh64Imm, 4, 0, 0, 3)); break;
      case 6: {
        Insn j = insn(Op::kJgtImm, 4, 0, 0, 100);
        j.imm64 = pc + 1;
        p.push_back(j);
        break;
      }
      default: p.push_back(insn(Op::kMul64Reg, 0, 4, 0, 0)); break;
    }
  }
  p.push_back(insn(Op::kExit, 0, 0, 0, 0));
  return p;
}

void BM_JitCompile(benchmark::State& state) {
  auto prog = program(static_cast<size_t>(state.range(0)));
  JitOptions o;
  for (auto _ : state) {
    auto exe = jit_compile(prog, o);
    benchmark::DoNotOptimize(exe);
  }
  state.counters["insns/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * prog.size()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JitCompile)->Arg(10)->Arg(4096)->Arg(65536)->Unit(benchmark::kMicrosecond);

void BM_EmptyRun(benchmark::State& state, bool jit) {
  std::vector<Insn> prog = {insn(Op::kMov64Imm, 0, 0, 0, 0), insn(Op::kExit, 0, 0, 0, 0)};
  auto exe = jit ? jit_compile(prog, {}) : make_interpreter(prog);
  if (!exe) {
    state.SkipWithError("compile failed");
    return;
  }
  alignas(16) static uint8_t stack[kStackSize];
  RunContext ctx;
  ctx.stack = stack;
  for (auto _ : state) benchmark::DoNotOptimize((*exe)->run(ctx, 0, 0));
}
BENCHMARK_CAPTURE(BM_EmptyRun, jit, true);
BENCHMARK_CAPTURE(BM_EmptyRun, interp, false);

}  // namespace
}  // namespace bpfjit

BENCHMARK_MAIN();
