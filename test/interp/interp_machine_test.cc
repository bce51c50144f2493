// The interpreter as a machine: registers at entry, checked memory, calls, helpers, the
// instruction budget, tail calls, invoke() from helpers, unsupported instructions, and
// robustness against arbitrary programs. Also engine selection (runtime/engine.h).
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "runtime/engine.h"
#include "test/interp/interp_test_support.h"

namespace bpfjit::testing {
namespace {

using MachineTest = InterpTest;

TEST_F(MachineTest, RegistersAtEntry) {
  Prog sum;  // r3..r9 are zero
  sum.movr(0, 3).op(Op::kOr64Reg, 0, 4).op(Op::kOr64Reg, 0, 5).op(Op::kOr64Reg, 0, 6)
      .op(Op::kOr64Reg, 0, 7).op(Op::kOr64Reg, 0, 8).op(Op::kOr64Reg, 0, 9).exit();
  EXPECT_EQ(run(sum, 11, 22), 0u);
  Prog args;
  args.movr(0, 1).op(Op::kSub64Reg, 0, 2).exit();
  EXPECT_EQ(run(args, 50, 8), 42u);
  Prog fp;
  fp.movr(0, 10).exit();
  EXPECT_EQ(run(fp), stack_top());
}

TEST_F(MachineTest, RunsWithItsOwnStackWhenTheCallerBringsNone) {
  ctx_.stack = nullptr;
  Prog p;
  p.mov(1, 77).op(Op::kStxdw, 10, 1, -8).op(Op::kLdxdw, 0, 10, -8).exit();
  EXPECT_EQ(run(p), 77u);
  EXPECT_EQ(ctx_.stack, nullptr);
}

// --- memory -------------------------------------------------------------------------------

class MemoryTest : public InterpTest {
 protected:
  void SetUp() override {
    InterpTest::SetUp();
    for (size_t i = 0; i < buf_.size(); ++i) buf_[i] = static_cast<uint8_t>(i + 1);
    for (size_t i = 0; i < ro_.size(); ++i) ro_[i] = static_cast<uint8_t>(0xa0 + i);
    regions_[0] = {addr(buf_.data()), addr(buf_.data()) + buf_.size(), true};
    regions_[1] = {addr(ro_.data()), addr(ro_.data()) + ro_.size(), false};
    ctx_.regions = regions_;
    ctx_.region_count = 2;
    buf_copy_ = buf_;
    ro_copy_ = ro_;
    stack_copy_ = stack_;
  }
  static uint64_t addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

  // Runs `p` with r1 = base and expects a memory trap at insn `insn` for `size` bytes at
  // `at`, with no memory changed.
  void expect_fault(const Prog& p, uint64_t base, uint32_t insn, uint64_t at, uint32_t size,
                    bool write) {
    Trap t = run_trap(p, TrapKind::kMemory, base);
    EXPECT_EQ(t.insn, insn);
    EXPECT_EQ(t.addr, at);
    EXPECT_EQ(t.size, size);
    EXPECT_EQ(t.write, write);
    EXPECT_EQ(buf_, buf_copy_);
    EXPECT_EQ(ro_, ro_copy_);
    EXPECT_EQ(stack_, stack_copy_);
  }

  std::vector<uint8_t> buf_ = std::vector<uint8_t>(16);
  std::vector<uint8_t> ro_ = std::vector<uint8_t>(8);
  std::vector<uint8_t> buf_copy_, ro_copy_, stack_copy_;
  MemRegion regions_[2];
};

TEST_F(MemoryTest, LoadsInsideRegionsSucceed) {
  Prog p;  // last 8 bytes of the first region, first byte of the read-only one
  p.op(Op::kLdxdw, 0, 1, 8).op(Op::kLdxb, 3, 2, 0).op(Op::kAdd64Reg, 0, 3).exit();
  uint64_t last8;
  std::memcpy(&last8, buf_.data() + 8, 8);
  EXPECT_EQ(run(p, addr(buf_.data()), addr(ro_.data())), last8 + 0xa0);
}

TEST_F(MemoryTest, LoadStraddlingTheEndTraps) {
  Prog p;
  p.mov(0, 1).op(Op::kLdxdw, 0, 1, 9).exit();
  expect_fault(p, addr(buf_.data()), 1, addr(buf_.data()) + 9, 8, false);
}

TEST_F(MemoryTest, LoadBelowARegionTraps) {
  Prog p;
  p.op(Op::kLdxb, 0, 1, -1).exit();
  expect_fault(p, addr(buf_.data()), 0, addr(buf_.data()) - 1, 1, false);
}

TEST_F(MemoryTest, LoadAboveTheSecondRegionTraps) {
  Prog p;
  p.op(Op::kLdxw, 0, 1, 6).exit();
  expect_fault(p, addr(ro_.data()), 0, addr(ro_.data()) + 6, 4, false);
}

TEST_F(MemoryTest, StoreToAReadOnlyRegionTraps) {
  Prog p;
  p.op(Op::kStb, 1, 0, 0, 0x55).exit();
  expect_fault(p, addr(ro_.data()), 0, addr(ro_.data()), 1, true);
}

TEST_F(MemoryTest, StoreToAReadOnlyFirstRegionTraps) {
  regions_[0].writable = false;  // the inline fast path must respect it too
  Prog p;
  p.mov(2, 1).op(Op::kStxh, 1, 2, 4).exit();
  expect_fault(p, addr(buf_.data()), 1, addr(buf_.data()) + 4, 2, true);
}

TEST_F(MemoryTest, StoreStraddlingTheEndTraps) {
  Prog p;
  p.op(Op::kStdw, 1, 0, 12, -1).exit();
  expect_fault(p, addr(buf_.data()), 0, addr(buf_.data()) + 12, 8, true);
}

TEST_F(MemoryTest, AtomicsAreCheckedAsWrites) {
  Prog ro;
  ro.mov(2, 1).op(Op::kAtomicAdd64, 1, 2, 0).exit();
  expect_fault(ro, addr(ro_.data()), 1, addr(ro_.data()), 8, true);
  Prog out;
  out.mov(2, 1).op(Op::kAtomicFetchOr32, 1, 2, 14).exit();
  expect_fault(out, addr(buf_.data()), 1, addr(buf_.data()) + 14, 4, true);
}

TEST_F(MemoryTest, StackEdges) {
  Prog top;  // the last byte below r10 is writable
  top.op(Op::kStb, 10, 0, -1, 9).op(Op::kLdxb, 0, 10, -1).exit();
  EXPECT_EQ(run(top), 9u);
  Prog bottom;  // so is the first byte of the whole stack
  bottom.op(Op::kStb, 10, 0, -static_cast<int16_t>(kStackSize), 7)
      .op(Op::kLdxb, 0, 10, -static_cast<int16_t>(kStackSize)).exit();
  EXPECT_EQ(run(bottom), 7u);
  stack_copy_ = stack_;
  Prog at_r10;
  at_r10.op(Op::kStb, 10, 0, 0, 1).exit();
  expect_fault(at_r10, 0, 0, stack_top(), 1, true);
  Prog straddle;
  straddle.op(Op::kLdxdw, 0, 10, -4).exit();
  expect_fault(straddle, 0, 0, stack_top() - 4, 8, false);
  Prog below;
  below.op(Op::kStw, 10, 0, -static_cast<int16_t>(kStackSize) - 1, 1).exit();
  expect_fault(below, 0, 0, stack_top() - kStackSize - 1, 4, true);
}

TEST_F(MemoryTest, AddressesThatWrapAroundTrap) {
  Prog p;
  p.op(Op::kLdxdw, 0, 1, 0).exit();
  expect_fault(p, ~uint64_t{0} - 2, 0, ~uint64_t{0} - 2, 8, false);
  Prog q;  // base + off wraps past zero
  q.lddw(1, ~uint64_t{0}).op(Op::kLdxb, 0, 1, 2).exit();
  expect_fault(q, 0, 2, 1, 1, false);
}

TEST_F(MemoryTest, AMalformedRegionGrantsNothing) {
  regions_[0] = {addr(buf_.data()) + 8, addr(buf_.data()), true};  // end before start
  Prog p;
  p.op(Op::kLdxb, 0, 1, 0).exit();
  expect_fault(p, addr(buf_.data()) + 8, 0, addr(buf_.data()) + 8, 1, false);
}

// --- calls ---------------------------------------------------------------------------------

// sub(r1): if r1 == 0 return r10; else return sub(r1 - 1). main calls sub(r1).
Prog recursion() {
  Prog p;
  p.op(Op::kCallLocal, 0, 1, 0, 1).exit()
      .op(Op::kJeqImm, 1, 0, 3, 0)
      .op(Op::kSub64Imm, 1, 0, 0, 1)
      .op(Op::kCallLocal, 0, 1, 0, -3)
      .exit()
      .movr(0, 10).exit();
  return p;
}

TEST_F(MachineTest, CallsNestUpToTheDepthLimit) {
  // main is frame 0; sub(n) reaches frame n + 1, so n = kMaxCallDepth - 2 is the deepest.
  uint64_t r0 = run(recursion(), kMaxCallDepth - 2);
  EXPECT_EQ(r0, stack_top() - (kMaxCallDepth - 1) * kStackFrameSize);
  Trap t = run_trap(recursion(), TrapKind::kCallDepth, kMaxCallDepth - 1);
  EXPECT_EQ(t.insn, 4u);
}

TEST_F(MachineTest, UnboundedRecursionStopsAtTheDepthLimit) {
  Prog p;
  p.op(Op::kCallLocal, 0, 1, 0, 1).exit().op(Op::kCallLocal, 0, 1, 0, -1).exit();
  Trap t = run_trap(p, TrapKind::kCallDepth);
  EXPECT_EQ(t.insn, 2u);
}

struct HelperLog {
  uint64_t args[5] = {};
  RunContext* ctx = nullptr;
  int calls = 0;
};
HelperLog g_log;

uint64_t record(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                RunContext* ctx) {
  g_log = {{r1, r2, r3, r4, r5}, ctx, g_log.calls + 1};
  return 0xabc;
}
uint64_t faulty(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  ctx->fault();
  return 0;
}
int g_tail_target = 0;
uint64_t tail_call(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  if (r1 != 0) ctx->tail_call_target = &g_tail_target;
  return 0;
}

class HelperTest : public InterpTest {
 protected:
  void SetUp() override {
    InterpTest::SetUp();
    helpers_.assign(16, nullptr);
    helpers_[1] = &record;
    helpers_[2] = &faulty;
    helpers_[kHelperTailCall] = &tail_call;
    ctx_.helpers = helpers_;
    g_log = {};
  }
  std::vector<HelperFn> helpers_;
};

TEST_F(HelperTest, CallPassesR1ToR5AndTheContext) {
  Prog p;
  p.mov(1, 1).mov(2, 2).mov(3, 3).mov(4, 4).mov(5, 5).op(Op::kCall, 0, 0, 0, 1).exit();
  EXPECT_EQ(run(p), 0xabcu);
  EXPECT_EQ(g_log.calls, 1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(g_log.args[i], uint64_t(i + 1));
  EXPECT_EQ(g_log.ctx, &ctx_);
}

TEST_F(HelperTest, CallxTakesTheIdFromDst) {
  Prog p;
  p.mov(7, 1).mov(1, 9).op(Op::kCallx, 7).exit();
  EXPECT_EQ(run(p), 0xabcu);
  EXPECT_EQ(g_log.args[0], 9u);
}

TEST_F(HelperTest, MissingHelpersTrap) {
  Prog null_entry;
  null_entry.op(Op::kCall, 0, 0, 0, 3).exit();
  Trap t = run_trap(null_entry, TrapKind::kBadHelper);
  EXPECT_EQ(t.addr, 3u);
  Prog past_end;
  past_end.mov(0, 0).op(Op::kCall, 0, 0, 0, 16).exit();
  t = run_trap(past_end, TrapKind::kBadHelper);
  EXPECT_EQ(t.insn, 1u);
  EXPECT_EQ(t.addr, 16u);
  Prog negative;
  negative.op(Op::kCall, 0, 0, 0, -1).exit();
  run_trap(negative, TrapKind::kBadHelper);
  Prog callx;  // callx to a missing id, and to a huge one
  callx.lddw(3, 99).op(Op::kCallx, 3).exit();
  t = run_trap(callx, TrapKind::kBadHelper);
  EXPECT_EQ(t.insn, 2u);
  EXPECT_EQ(t.addr, 99u);
  Prog huge;
  huge.lddw(3, ~uint64_t{0}).op(Op::kCallx, 3).exit();
  run_trap(huge, TrapKind::kBadHelper);
  ctx_.helpers = {};
  Prog empty;
  empty.op(Op::kCall, 0, 0, 0, 1).exit();
  run_trap(empty, TrapKind::kBadHelper);
  EXPECT_EQ(g_log.calls, 0);
}

TEST_F(HelperTest, AHelperFaultStopsTheRun) {
  Prog p;
  p.mov(0, 0).op(Op::kCall, 0, 0, 0, 2).op(Op::kStb, 10, 0, -1, 1).exit();
  Trap t = run_trap(p, TrapKind::kHelperFault);
  EXPECT_EQ(t.insn, 1u);
  EXPECT_EQ(stack_[kStackSize - 1], 0);  // nothing after the call ran
}

TEST_F(HelperTest, APendingTailCallEndsTheRun) {
  Prog p;
  p.op(Op::kCall, 0, 0, 0, kHelperTailCall).op(Op::kStb, 10, 0, -1, 1).exit();
  auto exe = make(p);
  exe->run(ctx_, 1, 0);
  EXPECT_EQ(ctx_.trap.kind, TrapKind::kNone);
  EXPECT_EQ(ctx_.tail_call_target, &g_tail_target);
  EXPECT_EQ(stack_[kStackSize - 1], 0);
  exe->run(ctx_, 0, 0);  // no target: the program goes on
  EXPECT_EQ(ctx_.tail_call_target, nullptr);
  EXPECT_EQ(stack_[kStackSize - 1], 1);
}

// helper 3: r0 = invoke(r1 = the subprogram's slot, r2, r3) + 1000, recording the depth.
uint32_t g_depth_in_helper = 0;
uint64_t call_back(uint64_t pc, uint64_t a, uint64_t b, uint64_t, uint64_t, RunContext* ctx) {
  g_depth_in_helper = ctx->depth;
  uint64_t r0 = ctx->invoke(ctx, static_cast<uint32_t>(pc), a, b, 0, 0, 0);
  return r0 + 1000;
}

TEST_F(HelperTest, InvokeRunsASubprogramInANewFrame) {
  helpers_[3] = &call_back;
  Prog q;
  // main: r6 = 5; call helper 3 with r1 = 7 (the sub's slot), r2 = 30, r3 = 12;
  // r0 += r6; exit. sub: r6 = 99; *(r10 - 8) = r10; r0 = r1 + r2; exit
  q.mov(6, 5).mov(1, 7).mov(2, 30).mov(3, 12).op(Op::kCall, 0, 0, 0, 3)
      .op(Op::kAdd64Reg, 0, 6).exit()
      .mov(6, 99).op(Op::kStxdw, 10, 10, -8).movr(0, 1).op(Op::kAdd64Reg, 0, 2).exit();
  EXPECT_EQ(run(q), 30u + 12 + 1000 + 5);
  EXPECT_EQ(g_depth_in_helper, 0u);
  uint64_t sub_r10;
  std::memcpy(&sub_r10, stack_.data() + kStackSize - kStackFrameSize - 8, 8);
  EXPECT_EQ(sub_r10, stack_top() - kStackFrameSize);
  EXPECT_EQ(ctx_.depth, 0u);
}

TEST_F(HelperTest, InvokeRespectsTheDepthLimitAndRefusesBadSlots) {
  helpers_[3] = &call_back;
  Prog loop;  // the subprogram at slot 0 calls itself through the helper, forever
  loop.mov(1, 0).op(Op::kCall, 0, 0, 0, 3).exit();
  Trap t = run_trap(loop, TrapKind::kCallDepth);
  EXPECT_EQ(t.insn, 0u);
  Prog bad;  // slot 50 does not exist
  bad.mov(1, 50).op(Op::kCall, 0, 0, 0, 3).exit();
  run_trap(bad, TrapKind::kHelperFault);
}

TEST_F(HelperTest, ATrapInsideACallbackNamesTheCallbacksInstruction) {
  helpers_[3] = &call_back;
  helpers_[2] = &faulty;
  Prog p;  // main calls helper 3 on the sub at slot 3, which loads from address 0
  p.mov(1, 3).op(Op::kCall, 0, 0, 0, 3).exit()
      .mov(0, 0).op(Op::kLdxb, 0, 0, 0).exit();
  Trap t = run_trap(p, TrapKind::kMemory);
  EXPECT_EQ(t.insn, 4u);
  EXPECT_EQ(t.addr, 0u);
  Prog q;  // the sub calls a faulting helper at slot 4
  q.mov(1, 3).op(Op::kCall, 0, 0, 0, 3).exit()
      .mov(0, 0).op(Op::kCall, 0, 0, 0, 2).exit();
  t = run_trap(q, TrapKind::kHelperFault);
  EXPECT_EQ(t.insn, 4u);
}

// --- budget -------------------------------------------------------------------------------

TEST_F(MachineTest, BudgetStopsAnInfiniteLoop) {
  Prog p;
  p.op(Op::kJa, 0, 0, -1);  // ja -1
  ctx_.budget = 1000;
  Trap t = run_trap(p, TrapKind::kBudget);
  EXPECT_EQ(t.insn, 0u);
  EXPECT_EQ(ctx_.budget, 0u);
}

TEST_F(MachineTest, BudgetCountsInstructions) {
  Prog p;
  p.mov(0, 1).mov(0, 2).exit();  // three instructions
  ctx_.budget = 3;
  EXPECT_EQ(run(p), 2u);
  EXPECT_EQ(ctx_.budget, 0u);
  ctx_.budget = 2;
  Trap t = run_trap(p, TrapKind::kBudget);
  EXPECT_EQ(t.insn, 2u);
  ctx_.budget = UINT64_MAX;  // no limit
  EXPECT_EQ(run(p), 2u);
  EXPECT_EQ(ctx_.budget, UINT64_MAX);
}

// --- unsupported instructions --------------------------------------------------------------

TEST_F(MachineTest, UnsupportedInstructionsTrapOnlyWhenReached) {
  const Op unsupported[] = {Op::kCallBtf, Op::kLdAbsW, Op::kLdIndB, Op::kLddwMapFd};
  for (Op op : unsupported) {
    Prog reached;
    reached.mov(0, 1);
    if (op == Op::kLddwMapFd) {
      reached.op(op, 1, 1, 0, 3);  // encode() writes its second slot
    } else {
      reached.op(op, 0, op == Op::kLdIndB ? 1 : 0, 0, 4);
    }
    reached.exit();
    Trap t = run_trap(reached, TrapKind::kUnsupported);
    EXPECT_EQ(t.insn, 1u) << op_info(op).name;
    Prog dead;  // the same instruction behind an exit
    dead.mov(0, 1).exit();
    if (op == Op::kLddwMapFd) {
      dead.op(op, 1, 1, 0, 3);
    } else {
      dead.op(op, 0, op == Op::kLdIndB ? 1 : 0, 0, 4);
    }
    dead.exit();
    EXPECT_EQ(run(dead), 1u) << op_info(op).name;
  }
}

// --- robustness and concurrency -----------------------------------------------------------

TEST_F(MachineTest, ArbitraryValidProgramsNeverHarmTheHost) {
  std::mt19937_64 rng(12345);
  std::vector<uint8_t> buf(64);
  MemRegion region{reinterpret_cast<uint64_t>(buf.data()),
                   reinterpret_cast<uint64_t>(buf.data()) + buf.size(), true};
  std::vector<HelperFn> helpers(6, nullptr);
  helpers[5] = [](uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
    return r1;
  };
  int ran = 0;
  // A random slot whose fields are valid for its Op: fields are random or zero, and a
  // candidate is kept when it decodes in the middle of a program of exits.
  auto random_slot = [&](std::vector<RawInsn>& out) {
    for (;;) {
      const OpInfo& info = op_info(static_cast<Op>(rng() % (kNumOps - 1)));
      RawInsn r{info.opcode, 0, 0, 0};
      if (rng() % 2) r.regs = static_cast<uint8_t>(rng() % 11);
      if (rng() % 2) r.regs = static_cast<uint8_t>(r.regs | (rng() % 11) << 4);
      if (rng() % 2) r.off = static_cast<int16_t>(static_cast<int>(rng() % 9) - 4);
      if (rng() % 2) r.imm = static_cast<int32_t>(rng() % 4 == 0 ? rng() : rng() % 9 - 4);
      if (info.sel == Sel::kOff) r.off = static_cast<int16_t>(info.selval);
      if (info.sel == Sel::kImm) r.imm = info.selval;
      if (info.sel == Sel::kSrc) r.regs = static_cast<uint8_t>((r.regs & 0x0f) | info.selval << 4);
      std::vector<RawInsn> probe(12, RawInsn{0x95, 0, 0, 0});
      probe[4] = r;
      RawInsn high{0, 0, 0, static_cast<int32_t>(rng())};
      if (info.form == Form::kLddw) probe[5] = high;
      if (!decode(probe).ok()) continue;
      out.push_back(r);
      if (info.form == Form::kLddw) out.push_back(high);
      return;
    }
  };
  for (int iter = 0; iter < 20000 && ran < 2000; ++iter) {
    std::vector<RawInsn> raw;
    while (raw.size() < 11) random_slot(raw);
    raw.push_back({0x95, 0, 0, 0});
    auto insns = decode(raw);
    if (!insns) continue;
    auto exe = make_interpreter(std::move(*insns));
    ASSERT_TRUE(exe.ok()) << exe.error().to_string();
    RunContext ctx;
    ctx.stack = stack_.data();
    ctx.regions = &region;
    ctx.region_count = 1;
    ctx.helpers = helpers;
    ctx.budget = 10000;
    (*exe)->run(ctx, rng() % 2 ? region.start : rng(), rng());
    ++ran;
  }
  EXPECT_GT(ran, 1000);
  std::printf("ran %d random programs\n", ran);
}

TEST_F(MachineTest, OneExecutableRunsOnManyThreads) {
  Prog p;  // r0 = sum of 1..r1, through the stack
  p.mov(0, 0).op(Op::kStxdw, 10, 1, -8)
      .op(Op::kJeqImm, 1, 0, 3, 0).op(Op::kAdd64Reg, 0, 1).op(Op::kSub64Imm, 1, 0, 0, 1)
      .op(Op::kJa, 0, 0, -4).exit();
  auto exe = make(p);
  std::vector<std::thread> threads;
  std::vector<uint64_t> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      std::vector<uint8_t> stack(kStackSize);
      RunContext ctx;
      ctx.stack = stack.data();
      for (int k = 0; k < 100; ++k) results[i] = exe->run(ctx, 1000 + i, 0);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    uint64_t n = 1000 + i;
    EXPECT_EQ(results[i], n * (n + 1) / 2);
  }
}

// --- engine selection ------------------------------------------------------------------------

TEST(EngineTest, ParsesEngineNames) {
  EXPECT_EQ(*parse_engine_kind("auto"), EngineKind::kAuto);
  EXPECT_EQ(*parse_engine_kind("interp"), EngineKind::kInterpreter);
  EXPECT_EQ(*parse_engine_kind("jit"), EngineKind::kJit);
  auto bad = parse_engine_kind("fast");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  for (EngineKind k : {EngineKind::kAuto, EngineKind::kInterpreter, EngineKind::kJit}) {
    EXPECT_EQ(*parse_engine_kind(engine_kind_name(k)), k);
  }
}

TEST(EngineTest, PreparesTheInterpreter) {
  EngineOptions opts;
  opts.kind = EngineKind::kInterpreter;
  auto exe = prepare_engine(Prog().mov(0, 3).exit().build(), opts);
  ASSERT_TRUE(exe.ok()) << exe.error().to_string();
  EXPECT_STREQ((*exe)->engine_name(), "interpreter");
  std::vector<uint8_t> stack(kStackSize);
  RunContext ctx;
  ctx.stack = stack.data();
  EXPECT_EQ((*exe)->run(ctx, 0, 0), 3u);
}

TEST(EngineTest, RefusesAnInvalidProgram) {
  Insn jump;
  jump.op = Op::kJa;
  jump.off = 5;
  jump.imm64 = 6;  // past the end
  EngineOptions opts;
  opts.kind = EngineKind::kInterpreter;
  auto exe = prepare_engine({jump}, opts);
  ASSERT_FALSE(exe.ok());
  EXPECT_EQ(exe.error().code, ErrorCode::kDecode);
}

}  // namespace
}  // namespace bpfjit::testing
