// Concurrent runs of one loaded program with shared maps (bench/progs/atomic_count.c), and
// the JIT's compile speed on synthetic programs.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "bench/harness/bpf_engine.h"
#include "bench/harness/bpf_instance.h"
#include "bench/harness/harness.h"
#include "jit/jit.h"

namespace bpfjit::bench {
namespace {

uint64_t sum_counts(Map* m) {
  uint64_t sum = 0;
  if (m == nullptr) return 0;
  m->for_each([&](const void*, const void* value) {
    sum += *static_cast<const uint64_t*>(value);
    return true;
  });
  return sum;
}

}  // namespace

ConcurrencyPoint run_concurrency(Engine e, uint32_t threads, uint64_t runs) {
  ConcurrencyPoint p;
  p.engine = e;
  p.threads = threads;
  ProgObjectSpec spec{"atomic_count", "atomic_count", false, "", {}};
  PrepTimes times;
  auto inst = make_prog_instance(spec, "v4", e, 8, times);
  if (!inst) {
    p.error = inst.error().to_string();
    return p;
  }
  std::vector<std::unique_ptr<RunSlot>> slots;
  for (uint32_t t = 0; t < threads; ++t) slots.push_back((*inst)->make_slot());
  std::vector<std::string> errors(threads);
  auto worker = [&](uint32_t t) {
    alignas(8) uint8_t buf[8] = {};
    for (uint64_t i = 0; i < runs; ++i) {
      uint32_t slot = static_cast<uint32_t>((i * 7 + t * 13) & 63);
      std::memcpy(buf, &slot, 4);
      auto r0 = (*inst)->run_mem(*slots[t], buf, sizeof(buf));
      if (!r0 || *r0 != 0) {
        errors[t] = r0 ? "atomic_count returned " + std::to_string(*r0)
                       : r0.error().to_string();
        return;
      }
    }
  };
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  p.runs = runs * threads;
  for (const auto& err : errors) {
    if (!err.empty() && p.error.empty()) p.error = err;
  }
  uint64_t array_sum = sum_counts((*inst)->map("array_counts"));
  uint64_t hash_sum = sum_counts((*inst)->map("hash_counts"));
  p.exact = p.error.empty() && array_sum == p.runs && hash_sum == p.runs;
  if (p.error.empty() && !p.exact) {
    p.error = "counts " + std::to_string(array_sum) + " (array) and " +
              std::to_string(hash_sum) + " (hash), expected " + std::to_string(p.runs);
  }
  return p;
}

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
