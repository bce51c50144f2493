// Which loops checked mode versions (jit/loops.h), and that their code faults exactly as
// the interpreter does: same trap, same instruction, same memory.
#include <gtest/gtest.h>

#include <cstring>

#include "jit/jit.h"
#include "jit/loops.h"
#include "runtime/interp/interpreter.h"
#include "test/jit/jit_test_util.h"

namespace bpfjit {
namespace {

using test::ProgBuilder;
using test::TestMachine;

std::vector<bool> targets_of(const std::vector<Insn>& insns) {
  std::vector<bool> t(insns.size());
  t[0] = true;
  for (const Insn& in : insns) {
    Form f = form_of(in.op);
    if (f == Form::kJa || f == Form::kJa32 || f == Form::kJmpImm || f == Form::kJmpReg) {
      t[in.target()] = true;
    }
  }
  return t;
}

// r1 = buffer, r2 = words, r3 = byte distance of the destination (r4 counts, r5 sums):
//   0: mov r4, 0            5: stxdw [r6], r0 (or stxw with store_width 32)
//   1: mov r5, 0            6: add r5, r0
//   2: mov r6, r1           7: add r1, step
//   3: add r6, r3           8: add r4, 1
//   4: ldxdw r0, [r1]       9: jlt r4, r2, -8 (to 2)
//  10: mov r0, r5 ; exit
std::vector<Insn> copy_loop(int32_t step, Op back_edge = Op::kJltReg, bool body_target = false) {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 4, 0, 0, 0)
      .op(body_target ? Op::kJa : Op::kMov64Imm, 5, 0, body_target ? 2 : 0, 0)
      .op(Op::kMov64Reg, 6, 1)
      .op(Op::kAdd64Reg, 6, 3)
      .op(Op::kLdxdw, 0, 1, 0)
      .op(Op::kStxdw, 6, 0, 0)
      .op(Op::kAdd64Reg, 5, 0)
      .op(Op::kAdd64Imm, 1, 0, 0, step)
      .op(Op::kAdd64Imm, 4, 0, 0, 1)
      .op(back_edge, 4, 2, -8)
      .op(Op::kMov64Reg, 0, 5)
      .op(Op::kExit);
  return p.insns();
}

TEST(JitLoopsTest, FindsACountedCopyLoopAndItsStrides) {
  auto insns = copy_loop(8);
  auto loops = find_versioned_loops(insns, targets_of(insns));
  ASSERT_EQ(loops.size(), 1u);
  const VersionedLoop& l = loops[0];
  EXPECT_EQ(l.head, 2u);
  EXPECT_EQ(l.tail, 9u);
  EXPECT_EQ(l.counter, 4);
  EXPECT_EQ(l.counter_add, 1);
  EXPECT_EQ(l.bound_reg, 2);
  ASSERT_EQ(l.accesses.size(), 2u);
  EXPECT_EQ(l.accesses[0].pc, 4u);
  EXPECT_EQ(l.accesses[0].base, 1);
  EXPECT_EQ(l.accesses[0].index, kNumRegs);
  EXPECT_EQ(l.accesses[0].step, 8);
  EXPECT_FALSE(l.accesses[0].write);
  EXPECT_EQ(l.accesses[1].pc, 5u);
  EXPECT_EQ(l.accesses[1].base, 1);
  EXPECT_EQ(l.accesses[1].index, 3);
  EXPECT_EQ(l.accesses[1].step, 8);
  EXPECT_TRUE(l.accesses[1].write);
}

size_t count_loops(const std::vector<Insn>& insns) {
  size_t n = 0;
  for (const VersionedLoop& l : find_versioned_loops(insns, targets_of(insns))) n += l.loop ? 1 : 0;
  return n;
}

TEST(JitLoopsTest, LeavesOutLoopsItCannotBound) {
  // A 32-bit back-edge, a jump target inside the body, an unequal compare.
  for (auto insns : {copy_loop(8, Op::kJlt32Reg), copy_loop(8, Op::kJltReg, true),
                     copy_loop(8, Op::kJneReg)}) {
    EXPECT_EQ(count_loops(insns), 0u);
  }
  // The counter changes otherwise than by one.
  auto insns = copy_loop(8);
  insns[8].imm = 2;
  EXPECT_EQ(count_loops(insns), 0u);
  // The bound changes in the loop.
  insns = copy_loop(8);
  insns[6] = test::make_insn(Op::kAdd64Reg, 2, 0);
  EXPECT_EQ(count_loops(insns), 0u);
  // A helper call in the body.
  insns = copy_loop(8);
  insns[6] = test::make_insn(Op::kCall, 0, 0, 0, 1);
  EXPECT_EQ(count_loops(insns), 0u);
  // Both accesses are based on r1, which the loop now loads: nothing is left to hoist.
  insns = copy_loop(8);
  insns[7] = test::make_insn(Op::kLdxdw, 1, 1, 0);
  EXPECT_EQ(count_loops(insns), 0u);
}

// ldxw r5, [r8] ; jle32 r9, r5, +2 ; stxw [r8], r9 ; stxw [r8-4], r5 ; (off2: the last
// store's offset) exit: one check of [r8-4, r8+4) for writing covers all three accesses.
std::vector<Insn> swap_snippet(int16_t off2) {
  ProgBuilder p;
  p.op(Op::kLdxw, 5, 8, 0)
      .op(Op::kJle32Reg, 9, 5, 2)
      .op(Op::kStxw, 8, 9, 0)
      .op(Op::kStxw, 8, 5, off2)
      .op(Op::kMov64Reg, 0, 5)
      .op(Op::kExit);
  return p.insns();
}

TEST(JitLoopsTest, AccessesOffTheSameRegistersShareOneCheck) {
  auto insns = swap_snippet(-4);
  auto ranges = find_versioned_loops(insns, targets_of(insns));
  ASSERT_EQ(ranges.size(), 1u);
  const VersionedLoop& r = ranges[0];
  EXPECT_FALSE(r.loop);
  EXPECT_FALSE(r.back_edge);
  EXPECT_EQ(r.head, 0u);
  EXPECT_EQ(r.tail, 3u);
  EXPECT_EQ(r.covered, (std::vector<uint32_t>{0, 2, 3}));
  ASSERT_EQ(r.accesses.size(), 1u);
  EXPECT_EQ(r.accesses[0].base, 8);
  EXPECT_EQ(r.accesses[0].disp, -4);
  EXPECT_EQ(r.accesses[0].size, 8);
  EXPECT_TRUE(r.accesses[0].write);
  // Spread wider than 8 bytes: the first and the last byte are checked.
  insns = swap_snippet(100);
  ranges = find_versioned_loops(insns, targets_of(insns));
  ASSERT_EQ(ranges.size(), 1u);
  ASSERT_EQ(ranges[0].accesses.size(), 2u);
  EXPECT_EQ(ranges[0].accesses[0].disp, 0);
  EXPECT_EQ(ranges[0].accesses[0].size, 1);
  EXPECT_EQ(ranges[0].accesses[1].disp, 103);
  EXPECT_EQ(ranges[0].accesses[1].size, 1);
  // Stack accesses (off r10) are checked as before, not merged.
  insns[0].src = kFramePointer;
  insns[2].dst = kFramePointer;
  insns[3].dst = kFramePointer;
  EXPECT_TRUE(find_versioned_loops(insns, targets_of(insns)).empty());
}

struct Outcome {
  uint64_t r0;
  Trap trap;  // addr relative to the buffer (each run has its own)
  std::vector<uint8_t> mem;
};

// r1 = the buffer + start_off, r2 = words.
Outcome run_on(const Executable& exe, uint64_t words, size_t mem_size, bool writable,
               uint64_t start_off) {
  TestMachine m(mem_size, writable);
  for (size_t i = 0; i < m.mem.size(); ++i) m.mem[i] = static_cast<uint8_t>(i * 7 + 1);
  uint64_t r0 = exe.run(m.ctx, m.mem_addr() + start_off, words);
  Trap t = m.ctx.trap;
  if (t.kind == TrapKind::kMemory) t.addr -= m.mem_addr();
  return {r0, t, m.mem};
}

// The JIT's outcome `a` equals the interpreter's `b`; counts clean runs and faults.
void expect_same(const Outcome& a, const Outcome& b, int& clean, int& faults) {
  EXPECT_EQ(a.trap.kind, b.trap.kind);
  EXPECT_EQ(a.trap.insn, b.trap.insn);
  EXPECT_EQ(a.trap.addr, b.trap.addr);
  EXPECT_EQ(a.mem, b.mem);
  if (b.trap.kind == TrapKind::kNone) {
    EXPECT_EQ(a.r0, b.r0);
    ++clean;
  } else {
    ++faults;
  }
}

// The copy loop with r3 = distance set in the program (r1, r2 come from the run).
std::vector<Insn> copy_program(int32_t step, int32_t distance) {
  std::vector<Insn> body = copy_loop(step);
  std::vector<Insn> out{test::make_insn(Op::kMov64Imm, 3, 0, 0, distance)};
  for (Insn in : body) {
    Form f = form_of(in.op);
    if (f == Form::kJa || f == Form::kJa32 || f == Form::kJmpImm || f == Form::kJmpReg) in.imm64 += 1;
    out.push_back(in);
  }
  return out;
}

// Every combination of trip count, start, step and distance around the buffer's edges,
// on a writable and a read-only region: the checked JIT ends as the interpreter does.
TEST(JitLoopsTest, VersionedLoopsFaultAtTheSameInsnWithTheSameMemory) {
  int faults = 0, clean = 0;
  for (int32_t step : {8, 4, -8, 0}) {
    for (int32_t distance : {-40, -8, 0, 16, 56, 200}) {
      auto insns = copy_program(step, distance);
      auto jit = jit_compile(insns, JitOptions{});
      auto interp = make_interpreter(insns);
      ASSERT_TRUE(jit.ok() && interp.ok());
      for (uint64_t words : {0u, 1u, 3u, 7u, 8u, 12u, 100u}) {
        for (uint64_t start : {0u, 8u, 24u, 56u, 60u}) {
          for (bool writable : {true, false}) {
            Outcome a = run_on(**jit, words, 64, writable, start);
            Outcome b = run_on(**interp, words, 64, writable, start);
            SCOPED_TRACE(testing::Message() << "step " << step << " distance " << distance
                                            << " words " << words << " start " << start
                                            << " writable " << writable);
            expect_same(a, b, clean, faults);
          }
        }
      }
    }
  }
  // Both the unchecked copy (clean runs) and faults in the checked one were exercised.
  EXPECT_GT(clean, 50);
  EXPECT_GT(faults, 50);
}

// The merged check at every position around both edges of the buffer, for a buffer that
// is writable and one that is not: the same trap, instruction and memory as the interpreter.
TEST(JitLoopsTest, MergedChecksFaultAtTheSameInsnWithTheSameMemory) {
  int faults = 0, clean = 0;
  for (int16_t off2 : {-4, 100, -100}) {
    std::vector<Insn> snippet = swap_snippet(off2);
    // r8 = r1 + r2 (r2 is the run's start offset), r9 = 0x7fffffff (so the stores run).
    ProgBuilder p;
    p.op(Op::kMov64Reg, 8, 1).op(Op::kAdd64Reg, 8, 2).op(Op::kMov64Imm, 9, 0, 0, INT32_MAX);
    std::vector<Insn> insns = p.insns();
    for (Insn in : snippet) {
      if (form_of(in.op) == Form::kJmpReg) in.imm64 += 3;
      insns.push_back(in);
    }
    auto jit = jit_compile(insns, JitOptions{});
    auto interp = make_interpreter(insns);
    ASSERT_TRUE(jit.ok() && interp.ok());
    for (int64_t start = -12; start <= 76; ++start) {
      for (bool writable : {true, false}) {
        Outcome a = run_on(**jit, static_cast<uint64_t>(start), 64, writable, 0);
        Outcome b = run_on(**interp, static_cast<uint64_t>(start), 64, writable, 0);
        SCOPED_TRACE(testing::Message() << "off2 " << off2 << " start " << start << " writable " << writable);
        expect_same(a, b, clean, faults);
      }
    }
  }
  EXPECT_GT(clean, 50);
  EXPECT_GT(faults, 50);
}

// The unchecked copy runs only without a budget: with one, the loop's back-edge counts
// and stops the run as any back-edge does.
TEST(JitLoopsTest, VersionedLoopsCountTheBudget) {
  auto insns = copy_program(8, 32);  // 4 words from [0, 32) to [32, 64): in bounds
  auto exe = jit_compile(insns, JitOptions{});
  ASSERT_TRUE(exe.ok());
  TestMachine m;
  (*exe)->run(m.ctx, m.mem_addr(), 4);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  EXPECT_EQ(m.ctx.budget, UINT64_MAX);
  m.ctx.budget = 100;
  (*exe)->run(m.ctx, m.mem_addr(), 4);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  EXPECT_EQ(m.ctx.budget, 96u);  // the back-edge ran 4 times
  m.ctx.budget = 2;
  (*exe)->run(m.ctx, m.mem_addr(), 4);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kBudget);
  EXPECT_EQ(m.ctx.trap.insn, 10u);
}

}  // namespace
}  // namespace bpfjit
