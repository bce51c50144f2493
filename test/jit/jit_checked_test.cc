// Checked mode: every access outside the stack and the regions stops the run with a trap
// that names the instruction, before memory changes; budget, call depth, helper traps;
// instructions the JIT refuses; code memory that is never writable.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "jit/jit.h"
#include "test/jit/jit_test_util.h"

namespace bpfjit {
namespace {

using test::ProgBuilder;
using test::TestMachine;

std::unique_ptr<Executable> compile(const std::vector<Insn>& insns, JitOptions o = {}) {
  auto exe = jit_compile(insns, o);
  EXPECT_TRUE(exe.ok()) << (exe.ok() ? "" : exe.error().to_string());
  return exe.ok() ? std::move(exe.value()) : nullptr;
}

enum class Access { kLoad, kStore, kStoreImm, kAtomicAdd, kFetchOr, kCmpXchg };

// insn 0-1: filler; insn 2: the access at r1 + 0 with r2 as the value.
std::vector<Insn> access_prog(Access kind, uint32_t size) {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 0, 0, 0, 5).op(Op::kMov64Imm, 3, 0, 0, 7);
  Op ld[] = {Op::kLdxb, Op::kLdxh, Op::kLdxw, Op::kLdxdw};
  Op st[] = {Op::kStxb, Op::kStxh, Op::kStxw, Op::kStxdw};
  Op sti[] = {Op::kStb, Op::kSth, Op::kStw, Op::kStdw};
  int k = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
  switch (kind) {
    case Access::kLoad: p.op(ld[k], 0, 1, 0); break;
    case Access::kStore: p.op(st[k], 1, 2, 0); break;
    case Access::kStoreImm: p.op(sti[k], 1, 0, 0, -1); break;
    case Access::kAtomicAdd: p.op(size == 4 ? Op::kAtomicAdd32 : Op::kAtomicAdd64, 1, 2, 0); break;
    case Access::kFetchOr: p.op(size == 4 ? Op::kAtomicFetchOr32 : Op::kAtomicFetchOr64, 1, 2, 0); break;
    case Access::kCmpXchg: p.op(size == 4 ? Op::kAtomicCmpXchg32 : Op::kAtomicCmpXchg64, 1, 2, 0); break;
  }
  p.op(Op::kExit);
  return p.insns();
}

struct Case {
  Access kind;
  uint32_t size;
};

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (uint32_t s : {1u, 2u, 4u, 8u}) {
    out.push_back({Access::kLoad, s});
    out.push_back({Access::kStore, s});
    out.push_back({Access::kStoreImm, s});
  }
  for (uint32_t s : {4u, 8u}) {
    out.push_back({Access::kAtomicAdd, s});
    out.push_back({Access::kFetchOr, s});
    out.push_back({Access::kCmpXchg, s});
  }
  return out;
}

void expect_trap_and_untouched(const Executable& exe, TestMachine& m, uint64_t addr,
                               uint32_t size, bool write) {
  std::vector<uint8_t> mem_before = m.mem;
  std::vector<uint8_t> stack_before(m.stack, m.stack + kStackSize);
  exe.run(m.ctx, addr, 0x1122334455667788);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kMemory) << std::hex << addr;
  EXPECT_EQ(m.ctx.trap.insn, 2u);
  EXPECT_EQ(m.ctx.trap.addr, addr);
  EXPECT_EQ(m.ctx.trap.size, size);
  EXPECT_EQ(m.ctx.trap.write, write);
  EXPECT_EQ(m.mem, mem_before);
  EXPECT_EQ(std::vector<uint8_t>(m.stack, m.stack + kStackSize), stack_before);
}

TEST(JitCheckedTest, OutOfBoundsAccessesTrapAndLeaveMemoryUntouched) {
  for (Case c : all_cases()) {
    auto exe = compile(access_prog(c.kind, c.size));
    ASSERT_NE(exe, nullptr);
    bool write = c.kind != Access::kLoad;
    TestMachine m(64);
    for (size_t i = 0; i < m.mem.size(); ++i) m.mem[i] = static_cast<uint8_t>(i);
    uint64_t lo = m.mem_addr(), hi = lo + m.mem.size();
    uint64_t slo = reinterpret_cast<uint64_t>(m.stack), shi = slo + kStackSize;
    for (uint64_t addr : {lo - 1, lo - c.size, hi, hi - c.size + 1, hi + 100, slo - 1,
                          shi - c.size + 1, shi, uint64_t{0}, uint64_t{0xdeadbeef},
                          uint64_t{0xffffffffffffffff}, uint64_t{0x8000000000000000}}) {
      if (c.size == 1 && (addr == lo - c.size || addr == hi - c.size + 1)) continue;
      SCOPED_TRACE(testing::Message() << "size " << c.size << " kind " << int(c.kind));
      expect_trap_and_untouched(*exe, m, addr, c.size, write);
    }
  }
}

TEST(JitCheckedTest, AccessesAtTheEdgesOfEveryRegionAreAllowed) {
  for (Case c : all_cases()) {
    auto exe = compile(access_prog(c.kind, c.size));
    ASSERT_NE(exe, nullptr);
    TestMachine m(64);
    // A second region, reached only by the slow path.
    std::vector<uint8_t> second(32);
    m.regions[1] = MemRegion{reinterpret_cast<uint64_t>(second.data()),
                             reinterpret_cast<uint64_t>(second.data()) + second.size(), true};
    m.ctx.region_count = 2;
    uint64_t lo = m.mem_addr(), hi = lo + m.mem.size();
    uint64_t slo = reinterpret_cast<uint64_t>(m.stack), shi = slo + kStackSize;
    uint64_t lo2 = m.regions[1].start, hi2 = m.regions[1].end;
    for (uint64_t addr : {lo, hi - c.size, slo, shi - c.size, lo2, hi2 - c.size}) {
      exe->run(m.ctx, addr, 0x1122334455667788);
      EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone) << m.ctx.trap.to_string();
    }
  }
}

TEST(JitCheckedTest, StoresToReadOnlyRegionsTrapAndLoadsWork) {
  TestMachine m(16, /*writable=*/false);
  m.mem[3] = 0xab;
  auto load = compile(access_prog(Access::kLoad, 1));
  EXPECT_EQ(load->run(m.ctx, m.mem_addr() + 3, 0), 0xabu);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  for (Case c : all_cases()) {
    if (c.kind == Access::kLoad) continue;
    auto exe = compile(access_prog(c.kind, c.size));
    expect_trap_and_untouched(*exe, m, m.mem_addr(), c.size, true);
  }
}

TEST(JitCheckedTest, TrustedModeSkipsChecks) {
  JitOptions o;
  o.checked = false;
  auto exe = compile(access_prog(Access::kStore, 4), o);
  EXPECT_STREQ(exe->engine_name(), "jit (trusted)");
  // An address outside every region: trusted code writes it.
  uint32_t outside = 0;
  TestMachine m(8);
  exe->run(m.ctx, reinterpret_cast<uint64_t>(&outside), 0x55667788);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  EXPECT_EQ(outside, 0x55667788u);
}

TEST(JitCheckedTest, BudgetStopsAnEndlessLoop) {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 0, 0, 0, 1).op(Op::kJa, 0, 0, -1);
  auto exe = compile(p.insns());
  TestMachine m;
  m.ctx.budget = 1000;
  m.run(*exe);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kBudget);
  EXPECT_EQ(m.ctx.trap.insn, 1u);
  EXPECT_EQ(m.ctx.budget, 0u);
}

TEST(JitCheckedTest, BudgetIsLeftAloneWithoutALimit) {
  ProgBuilder p;  // a loop of 10 back-edges
  p.op(Op::kMov64Imm, 0, 0, 0, 10).op(Op::kSub64Imm, 0, 0, 0, 1).op(Op::kJneImm, 0, 0, -2, 0).op(Op::kExit);
  auto exe = compile(p.insns());
  TestMachine m;
  m.run(*exe);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  EXPECT_EQ(m.ctx.budget, UINT64_MAX);
  m.ctx.budget = 100;
  m.run(*exe);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  EXPECT_EQ(m.ctx.budget, 90u);  // the backward jump ran 10 times (9 taken)
}

// "jeq r5, 10, +1 ; ja -3": the JIT emits one inverted jump back; the budget still counts
// only the taken back-edges and a budget trap names the ja.
std::vector<Insn> jump_over_ja_loop() {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 5, 0, 0, 0)
      .op(Op::kAdd64Imm, 5, 0, 0, 1)
      .op(Op::kJeqImm, 5, 0, 1, 10)
      .op(Op::kJa, 0, 0, -3)
      .op(Op::kMov64Reg, 0, 5)
      .op(Op::kExit);
  return p.insns();
}

// "jset r5, 1, -3 ; add r6, 1 ; ja -5": both paths take one back-edge to the same target,
// the JIT emits a cmov and one jump; r0 = the even numbers among 1..20 = 10.
std::vector<Insn> converging_loop() {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 5, 0, 0, 0)
      .op(Op::kMov64Imm, 6, 0, 0, 0)
      .op(Op::kJeqImm, 5, 0, 4, 20)
      .op(Op::kAdd64Imm, 5, 0, 0, 1)
      .op(Op::kJsetImm, 5, 0, -3, 1)
      .op(Op::kAdd64Imm, 6, 0, 0, 1)
      .op(Op::kJa, 0, 0, -5)
      .op(Op::kMov64Reg, 0, 6)
      .op(Op::kExit);
  return p.insns();
}

TEST(JitCheckedTest, FusedBackwardBranchesCountTheBudget) {
  struct Case {
    std::vector<Insn> prog;
    uint64_t r0, back_edges;
    uint32_t trap_insn;  // where a short budget runs out
  };
  const Case cases[] = {{jump_over_ja_loop(), 10, 9, 3}, {converging_loop(), 10, 20, 4}};
  for (const Case& c : cases) {
    for (bool checked : {true, false}) {
      JitOptions o;
      o.checked = checked;
      auto exe = compile(c.prog, o);
      TestMachine m;
      EXPECT_EQ(m.run(*exe), c.r0);
      EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
      if (!checked) continue;
      m.ctx.budget = 100;
      EXPECT_EQ(m.run(*exe), c.r0);
      EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
      EXPECT_EQ(m.ctx.budget, 100 - c.back_edges);
      m.ctx.budget = 5;
      m.run(*exe);
      EXPECT_EQ(m.ctx.trap.kind, TrapKind::kBudget);
      EXPECT_EQ(m.ctx.trap.insn, c.trap_insn);
      EXPECT_EQ(m.ctx.budget, 0u);
    }
  }
}

// "mov r3, r1 ; add r3, <r4 | imm> (or sub r3, imm) ; ldx r3, [r3 + off]": the JIT folds
// the address into the load and checks it as the load would have been checked.
TEST(JitCheckedTest, FoldedAddressLoadsAreChecked) {
  const Op loads[] = {Op::kLdxb, Op::kLdxh, Op::kLdxw, Op::kLdxdw};
  constexpr size_t kMem = 64;
  for (Op ld : loads) {
    uint32_t size = op_info(ld).width / 8;
    for (int form = 0; form < 3; ++form) {
      for (int64_t k : {int64_t{0}, int64_t{5}, int64_t{kMem - size}, int64_t{kMem - size + 1},
                        int64_t{-1}, int64_t{-4096}, int64_t{1} << 20}) {
        const int16_t off = -2;
        int64_t delta = k + 2;  // the add's operand, so that r1 + delta + off = r1 + k
        ProgBuilder p;
        p.op(Op::kMov64Imm, 4, 0, 0, static_cast<int32_t>(delta)).op(Op::kMov64Reg, 3, 1);
        if (form == 0) p.op(Op::kAdd64Reg, 3, 4);
        if (form == 1) p.op(Op::kAdd64Imm, 3, 0, 0, static_cast<int32_t>(delta));
        if (form == 2) p.op(Op::kSub64Imm, 3, 0, 0, static_cast<int32_t>(-delta));
        p.op(ld, 3, 3, off).op(Op::kMov64Reg, 0, 3).op(Op::kExit);
        for (bool checked : {true, false}) {
          bool inside = k >= 0 && k + size <= kMem;
          if (!checked && !inside) continue;
          JitOptions o;
          o.checked = checked;
          auto exe = compile(p.insns(), o);
          TestMachine m(kMem);
          for (size_t i = 0; i < kMem; ++i) m.mem[i] = static_cast<uint8_t>(i * 7 + 1);
          uint64_t r0 = m.run(*exe);
          if (inside) {
            uint64_t want = 0;
            std::memcpy(&want, m.mem.data() + k, size);
            EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone) << m.ctx.trap.to_string();
            EXPECT_EQ(r0, want) << op_info(ld).name << " form " << form << " at " << k;
          } else {
            EXPECT_EQ(m.ctx.trap.kind, TrapKind::kMemory) << op_info(ld).name << " at " << k;
            EXPECT_EQ(m.ctx.trap.insn, 3u);
            EXPECT_EQ(m.ctx.trap.addr, m.mem_addr() + static_cast<uint64_t>(k));
            EXPECT_EQ(m.ctx.trap.size, size);
          }
        }
      }
    }
  }
  // From r10: a stack slot, no check needed, same value.
  ProgBuilder p;
  p.op(Op::kStdw, kFramePointer, 0, -16, 0x1234567)
      .op(Op::kMov64Reg, 3, kFramePointer)
      .op(Op::kAdd64Imm, 3, 0, 0, -8)
      .op(Op::kLdxdw, 3, 3, -8)
      .op(Op::kMov64Reg, 0, 3)
      .op(Op::kExit);
  auto exe = compile(p.insns());
  TestMachine m;
  EXPECT_EQ(m.run(*exe), 0x1234567u);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
}

TEST(JitCheckedTest, CallDepthIsLimited) {
  ProgBuilder p;  // slot 0 calls itself forever
  p.op(Op::kCallLocal, 0, 1, 0, -1).op(Op::kExit);
  auto exe = compile(p.insns());
  TestMachine m;
  m.run(*exe);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kCallDepth);
  EXPECT_EQ(m.ctx.trap.insn, 0u);
}

TEST(JitCheckedTest, LocalCallsGetTheirOwnFrameAndKeepR6ToR9) {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 6, 0, 0, 66)
      .op(Op::kStdw, kFramePointer, 0, -8, 11)
      .op(Op::kCallLocal, 0, 1, 0, 3)     // -> slot 6
      .op(Op::kLdxdw, 0, kFramePointer, -8)
      .op(Op::kAdd64Reg, 0, 6)             // 11 + 66 + 0 (callee's r0 overwritten)
      .op(Op::kExit)
      .op(Op::kMov64Imm, 6, 0, 0, 1000)   // slot 6: the callee
      .op(Op::kStdw, kFramePointer, 0, -8, 22)
      .op(Op::kMov64Imm, 0, 0, 0, 5)
      .op(Op::kExit);
  auto exe = compile(p.insns());
  TestMachine m;
  EXPECT_EQ(m.run(*exe), 77u);
  uint64_t callee_slot;
  std::memcpy(&callee_slot, m.stack + kStackSize - kStackFrameSize - 8, 8);
  EXPECT_EQ(callee_slot, 22u);
}

uint64_t helper_ret_r1(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return r1 * 2;
}
uint64_t helper_fault(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  ctx->fault();
  return 0;
}
uint64_t helper_tail(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  static int target;
  ctx->tail_call_target = &target;
  return 0;
}
// Calls the subprogram at slot r1 with r2 as its r1, adds one.
uint64_t helper_invoke(uint64_t r1, uint64_t r2, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  return ctx->invoke(ctx, static_cast<uint32_t>(r1), r2, 0, 0, 0, 0) + 1;
}

TEST(JitCheckedTest, HelpersAreCalledDirectlyAndThroughCallx) {
  HelperFn table[6] = {nullptr, helper_ret_r1, helper_fault, nullptr, nullptr, helper_ret_r1};
  JitOptions o;
  o.helpers = table;
  ProgBuilder p;
  p.op(Op::kMov64Imm, 1, 0, 0, 21).op(Op::kCall, 0, 0, 0, 5)   // r0 = 42
      .op(Op::kMov64Reg, 1, 0).op(Op::kMov64Imm, 2, 0, 0, 1).op(Op::kCallx, 2)  // r0 = 84
      .op(Op::kExit);
  auto exe = compile(p.insns(), o);
  TestMachine m;
  m.ctx.helpers = table;
  EXPECT_EQ(m.run(*exe), 84u);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
}

TEST(JitCheckedTest, CallxToAMissingHelperTraps) {
  HelperFn table[3] = {nullptr, helper_ret_r1, nullptr};
  JitOptions o;
  o.helpers = table;
  for (uint64_t id : {uint64_t{0}, uint64_t{2}, uint64_t{3}, uint64_t{1000}, uint64_t(-1)}) {
    ProgBuilder p;
    p.lddw(3, id).op(Op::kCallx, 3).op(Op::kExit);
    auto exe = compile(p.insns(), o);
    TestMachine m;
    m.ctx.helpers = table;
    m.run(*exe);
    EXPECT_EQ(m.ctx.trap.kind, TrapKind::kBadHelper) << id;
    EXPECT_EQ(m.ctx.trap.insn, 2u);
    EXPECT_EQ(m.ctx.trap.addr, id);
  }
}

// A call to an id the table lacks (as a poisoned CO-RE relocation leaves) compiles, and
// traps only when a run reaches it.
TEST(JitCheckedTest, CallToAMissingHelperTrapsWhenReached) {
  HelperFn table[3] = {nullptr, helper_ret_r1, nullptr};
  JitOptions o;
  o.helpers = table;
  for (int32_t id : {2, 3, 0xbad2310}) {
    ProgBuilder p;
    // r2 (the buffer size) selects the path: 8 skips the call.
    p.op(Op::kJeqImm, 2, 0, 2, 8).op(Op::kCall, 0, 0, 0, id).op(Op::kExit)
        .op(Op::kMov64Imm, 0, 0, 0, 7).op(Op::kExit);
    auto exe = compile(p.insns(), o);
    ASSERT_TRUE(exe);
    TestMachine skip(8);
    skip.ctx.helpers = table;
    EXPECT_EQ(skip.run(*exe), 7u);
    EXPECT_EQ(skip.ctx.trap.kind, TrapKind::kNone);
    TestMachine hit(16);
    hit.ctx.helpers = table;
    hit.run(*exe);
    EXPECT_EQ(hit.ctx.trap.kind, TrapKind::kBadHelper) << id;
    EXPECT_EQ(hit.ctx.trap.insn, 1u);
    EXPECT_EQ(hit.ctx.trap.addr, static_cast<uint64_t>(static_cast<uint32_t>(id)));
  }
}

TEST(JitCheckedTest, HelperFaultAndTailCallEndTheRun) {
  HelperFn table[13] = {nullptr, nullptr, helper_fault};
  table[kHelperTailCall] = helper_tail;
  JitOptions o;
  o.helpers = table;
  TestMachine m;
  m.ctx.helpers = table;
  ProgBuilder p;  // the fault happens in a subprogram: the run ends from depth 1
  p.op(Op::kCallLocal, 0, 1, 0, 2).op(Op::kMov64Imm, 0, 0, 0, 9).op(Op::kExit)
      .op(Op::kMov64Imm, 0, 0, 0, 1).op(Op::kCall, 0, 0, 0, 2).op(Op::kExit);
  auto exe = compile(p.insns(), o);
  m.run(*exe);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kHelperFault);
  EXPECT_EQ(m.ctx.trap.insn, 4u);

  ProgBuilder t;
  t.op(Op::kCall, 0, 0, 0, kHelperTailCall).op(Op::kMov64Imm, 0, 0, 0, 9).op(Op::kExit);
  exe = compile(t.insns(), o);
  EXPECT_NE(m.run(*exe), 9u);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  EXPECT_NE(m.ctx.tail_call_target, nullptr);
}

TEST(JitCheckedTest, HelpersCanInvokeASubprogram) {
  HelperFn table[2] = {nullptr, helper_invoke};
  JitOptions o;
  o.helpers = table;
  ProgBuilder p;
  // main: r1 = slot of the callback (from an lddw), r2 = 20; r0 = invoke(...) = 20*3 + 1
  p.lddw(1, 6).op(Op::kMov64Imm, 2, 0, 0, 20).op(Op::kCall, 0, 0, 0, 1)
      .op(Op::kMov64Reg, 6, 0).op(Op::kExit)
      .op(Op::kStdw, kFramePointer, 0, -8, 1)  // slot 6: the callback uses its own frame
      .op(Op::kMov64Reg, 0, 1).op(Op::kMul64Imm, 0, 0, 0, 3).op(Op::kExit);
  auto exe = compile(p.insns(), o);
  TestMachine m;
  m.ctx.helpers = table;
  EXPECT_EQ(m.run(*exe), 61u);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone);
  EXPECT_EQ(m.stack[kStackSize - kStackFrameSize - 8], 1);
  // A slot that is no subprogram entry: the helper's invoke faults.
  ProgBuilder q;
  q.op(Op::kMov64Imm, 1, 0, 0, 2).op(Op::kCall, 0, 0, 0, 1).op(Op::kExit);
  exe = compile(q.insns(), o);
  m.run(*exe);
  EXPECT_EQ(m.ctx.trap.kind, TrapKind::kHelperFault);
}

// How far the helper's frame is from 16-byte alignment (0 when its caller kept the ABI),
// plus r3 + r4 + r5, which the program never sets: the interpreter passes zeros.
[[gnu::noinline]] uint64_t helper_alignment(uint64_t, uint64_t, uint64_t r3, uint64_t r4,
                                            uint64_t r5, RunContext*) {
  return (reinterpret_cast<uint64_t>(__builtin_frame_address(0)) & 15) * 1000 + r3 + r4 + r5;
}

// The entry saves and zeroes only the registers a program names (and r12 when the code
// reads the run's state): every subset of r6..r9, with and without r10 and memory checks,
// keeps the values, starts them at zero and calls helpers with an aligned stack.
TEST(JitCheckedTest, EntrySavesWhatTheProgramNamesAndKeepsTheStackAligned) {
  HelperFn table[2] = {nullptr, helper_alignment};
  JitOptions o;
  o.helpers = table;
  for (int mask = 0; mask < 64; ++mask) {
    ProgBuilder p;
    uint64_t want = 0;
    for (uint8_t r = 6; r <= 9; ++r) {
      if ((mask & (1 << (r - 6))) == 0) continue;
      p.op(Op::kAdd64Imm, r, 0, 0, r);  // starts at zero: r6 = 6, ...
      want += r;
    }
    if ((mask & 32) != 0) {  // a checked access to region 0
      p.op(Op::kLdxdw, 2, 1, 0);
    }
    if ((mask & 16) != 0) {
      p.op(Op::kStdw, kFramePointer, 0, -8, 100).op(Op::kLdxdw, 1, kFramePointer, -8);
      want += 100;
    }
    p.op(Op::kCall, 0, 0, 0, 1);
    for (uint8_t r = 6; r <= 9; ++r) {
      if ((mask & (1 << (r - 6))) != 0) p.op(Op::kAdd64Reg, 0, r);
    }
    if ((mask & 16) != 0) p.op(Op::kLdxdw, 1, kFramePointer, -8).op(Op::kAdd64Reg, 0, 1);
    p.op(Op::kExit);
    auto exe = compile(p.insns(), o);
    ASSERT_NE(exe, nullptr);
    TestMachine m;
    m.ctx.helpers = table;
    EXPECT_EQ(m.run(*exe), want) << "mask " << mask;
    EXPECT_EQ(m.ctx.trap.kind, TrapKind::kNone) << "mask " << mask;
  }
}

TEST(JitCheckedTest, RefusesWhatItCannotRunNamingTheInstruction) {
  ProgBuilder btf;
  btf.op(Op::kMov64Imm, 0, 0, 0, 0).op(Op::kCallBtf, 0, 2, 0, 7).op(Op::kExit);
  ProgBuilder abs;
  abs.op(Op::kLdAbsB, 0, 0, 0, 3).op(Op::kExit);
  ProgBuilder map;
  map.op(Op::kMov64Imm, 0, 0, 0, 0).add(test::make_insn(Op::kLddwMapFd, 1, 1, 0, 3)).add(Insn{Op::kLddwHigh}).op(Op::kExit);
  // (A call to a helper missing from the table compiles to a trap: see
  // CallToAMissingHelperTrapsWhenReached.)
  struct {
    std::vector<Insn> insns;
    uint32_t insn;
    ErrorCode code;
  } cases[] = {{btf.insns(), 1, ErrorCode::kUnsupported},
               {abs.insns(), 0, ErrorCode::kUnsupported},
               {map.insns(), 1, ErrorCode::kUnsupported}};
  for (auto& c : cases) {
    auto r = jit_compile(c.insns, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().insn, c.insn) << r.error().to_string();
    EXPECT_EQ(r.error().code, c.code);
  }
  JitOptions o;
  o.simulate_missing_cpu_feature = true;
  auto r = jit_compile(abs.insns(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
}

// The perf map line gives the code's address; /proc/self/maps says how it is mapped.
TEST(JitCheckedTest, CodeIsNeverWritableAndPerfMapNamesIt) {
  ProgBuilder p;
  p.op(Op::kMov64Imm, 0, 0, 0, 3).op(Op::kExit);
  JitOptions o;
  o.perf_map = true;
  o.name = "wx_test";
  auto exe = compile(p.insns(), o);
  std::ifstream map("/tmp/perf-" + std::to_string(getpid()) + ".map");
  std::string line, last;
  while (std::getline(map, line)) {
    if (line.find("wx_test") != std::string::npos) last = line;
  }
  ASSERT_FALSE(last.empty());
  uint64_t addr = std::stoull(last.substr(0, last.find(' ')), nullptr, 16);
  TestMachine m;
  EXPECT_EQ(m.run(*exe), 3u);
  std::ifstream maps("/proc/self/maps");
  bool found = false;
  while (std::getline(maps, line)) {
    uint64_t lo = 0, hi = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) != 3) continue;
    if (addr >= lo && addr < hi) {
      found = true;
      EXPECT_EQ(std::string(perms).substr(0, 3), "r-x") << line;
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace bpfjit
