// The verifier's API: results, facts for the JIT, the log, lddw reference tables, platforms.
#include <gtest/gtest.h>

#include "runtime/isa/asm.h"
#include "verifier/verifier.h"

namespace bpfjit::verifier {
namespace {

std::vector<Insn> assemble_ok(const char* text) {
  auto r = assemble(text);
  EXPECT_TRUE(r.ok()) << r.error().to_string();
  return r.ok() ? *r : std::vector<Insn>{};
}

VerifyResult verify_mem(const std::vector<Insn>& insns, std::optional<uint64_t> size,
                        const VerifyOptions& opts = {}) {
  const ProgramType* mem = runtime_platform().find_type("mem");
  VerifyInput in{insns, {}, {}, *mem, {}, size, runtime_platform()};
  return verify(in, opts);
}

TEST(VerifierApiTest, FlagsMarkProvenAccessesAndDivisors) {
  auto insns = assemble_ok(R"(
    ldxb %r2, [%r1+3]
    or %r2, 1
    mov %r0, 100
    div %r0, %r2
    ldxb %r3, [%r1+4]
    mov %r4, 5
    mod %r4, %r3
    exit
  )");
  VerifyResult r = verify_mem(insns, 16);
  ASSERT_TRUE(r.accepted) << r.error_text();
  ASSERT_EQ(r.insn_flags.size(), insns.size());
  EXPECT_TRUE(r.insn_flags[0] & kFlagMemSafe);
  EXPECT_TRUE(r.insn_flags[3] & kFlagDivisorNonZero);
  EXPECT_FALSE(r.insn_flags[6] & kFlagDivisorNonZero);  // r3 may be 0
  EXPECT_EQ(r.insn_flags[2], 0);
}

TEST(VerifierApiTest, LoopOverKnownBufferVerifies) {
  auto insns = assemble_ok(R"(
    mov %r0, 0
    mov %r3, 0
  loop:
    mov %r4, %r1
    add %r4, %r3
    ldxb %r5, [%r4+0]
    add %r0, %r5
    add %r3, 1
    jlt %r3, %r2, loop
    exit
  )");
  VerifyResult ok = verify_mem(insns, 64);
  EXPECT_TRUE(ok.accepted) << ok.error_text();
  VerifyResult unknown = verify_mem(insns, std::nullopt);
  ASSERT_FALSE(unknown.accepted);
  EXPECT_NE(unknown.error_text().find("memory access out of bounds"), std::string::npos)
      << unknown.error_text();
}

TEST(VerifierApiTest, ReportsEveryRejection) {
  auto insns = assemble_ok(R"(
    ldxb %r2, [%r1+0]
    jeq %r2, 0, other
    ldxb %r0, [%r1+100]
    exit
  other:
    ldxb %r0, [%r1+200]
    exit
  )");
  VerifyResult r = verify_mem(insns, 16);
  ASSERT_FALSE(r.accepted);
  ASSERT_EQ(r.diagnostics.size(), 2u);
  EXPECT_EQ(r.diagnostics[0].insn, 2u);  // the fall-through path is explored first
  EXPECT_EQ(r.diagnostics[1].insn, 4u);
  EXPECT_TRUE(r.insn_flags.empty());
}

TEST(VerifierApiTest, MessageStartsWithTheInstruction) {
  auto insns = assemble_ok("mov %r0, %r3\nexit\n");
  VerifyResult r = verify_mem(insns, 8);
  ASSERT_FALSE(r.accepted);
  EXPECT_EQ(r.error_text(), "insn 0: mov %r0, %r3: r3 is not initialized");
}

TEST(VerifierApiTest, LogShowsStatesAndStatistics) {
  auto insns = assemble_ok("mov %r0, 7\nexit\n");
  VerifyOptions opts;
  opts.log = true;
  VerifyResult r = verify_mem(insns, 8, opts);
  ASSERT_TRUE(r.accepted);
  EXPECT_NE(r.log.find("1: exit"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("r0=0x7"), std::string::npos) << r.log;
  EXPECT_NE(r.log.find("processed 2 insns"), std::string::npos) << r.log;
  EXPECT_EQ(r.stats.insns_processed, 2u);
}

TEST(VerifierApiTest, LddwReferenceTableNamesMaps) {
  // A plain lddw whose meaning comes from the side table, as an object loader produces.
  auto insns = assemble_ok(R"(
    lddw %r1, 0
    ldxw %r0, [%r1+4]
    exit
  )");
  const ProgramType* xdp = runtime_platform().find_type("xdp");
  std::vector<MapInfo> maps = {{2, 4, 8, 1, true}};
  VerifyInput in{insns, {{0, LddwRefKind::kMapValue, 0, 0}}, maps, *xdp, {}, std::nullopt,
                 runtime_platform()};
  VerifyResult r = verify(in);
  EXPECT_TRUE(r.accepted) << r.error_text();
  // The same load past the 8-byte value is refused.
  insns[2].off = 6;
  r = verify(in);
  ASSERT_FALSE(r.accepted);
  EXPECT_NE(r.error_text().find("map value access out of bounds"), std::string::npos);
}

// lookup_maps: at a bpf_map_lookup_elem call, the map an lddw loaded into r1 on every
// path; -1 for an inner map from a map-in-map lookup, for paths that disagree, and for
// every other instruction.
TEST(VerifierApiTest, LookupMapsNameTheLddwMapOfEachLookup) {
  auto insns = assemble_ok(R"(
    stw [%r10-4], 0
    lddw %r1, map_fd 0
    mov %r2, %r10
    add %r2, -4
    call 1
    lddw %r1, map_fd 1
    mov %r2, %r10
    add %r2, -4
    call 1
    jeq %r0, 0, out
    mov %r1, %r0
    mov %r2, %r10
    add %r2, -4
    call 1
  out:
    call 7
    lddw %r1, map_fd 0
    jeq %r0, 0, other
    lddw %r1, map_fd 2
  other:
    mov %r2, %r10
    add %r2, -4
    call 1
    lddw %r1, map_fd 2
    mov %r2, %r10
    add %r2, -4
    call 1
    mov %r0, 0
    exit
  )");
  const ProgramType* xdp = runtime_platform().find_type("xdp");
  // 0: array, 1: array_of_maps of 2 (an array that is also used directly).
  std::vector<MapInfo> maps = {{2, 4, 8, 4}, {12, 4, 4, 2}, {2, 4, 8, 4}};
  maps[1].inner = 2;
  VerifyInput in{insns, {}, maps, *xdp, {}, std::nullopt, runtime_platform()};
  VerifyResult r = verify(in);
  ASSERT_TRUE(r.accepted) << r.error_text();
  ASSERT_EQ(r.lookup_maps.size(), insns.size());
  std::vector<int32_t> expected(insns.size(), -1);
  expected[5] = 0;   // the array
  expected[10] = 1;  // the map of maps itself
  // 15: the inner map (-1), 24: map 0 or map 2 (-1)
  expected[29] = 2;
  EXPECT_EQ(r.lookup_maps, expected);
  EXPECT_EQ(insns[15].op, Op::kCall);
  EXPECT_EQ(insns[24].op, Op::kCall);
  EXPECT_EQ(insns[29].op, Op::kCall);
}

TEST(VerifierApiTest, LinuxPlatformKnowsKernelTypes) {
  const Platform& linux = linux_platform();
  for (const char* t : {"socket_filter", "kprobe", "tracepoint", "raw_tracepoint", "xdp",
                        "sched_cls", "tc", "cgroup_skb", "cgroup_sock"}) {
    EXPECT_NE(linux.find_type(t), nullptr) << t;
  }
  EXPECT_EQ(linux.type_for_section("kprobe/sys_execve"), linux.find_type("kprobe"));
  // __sk_buff.data is a packet pointer for tc; a tc program can parse a packet.
  auto insns = assemble_ok(R"(
    ldxw %r2, [%r1+76]
    ldxw %r3, [%r1+80]
    mov %r4, %r2
    add %r4, 14
    jgt %r4, %r3, drop
    ldxh %r0, [%r2+12]
    exit
  drop:
    mov %r0, 2
    exit
  )");
  VerifyInput in{insns, {}, {}, *linux.find_type("sched_cls"), {}, std::nullopt, linux};
  VerifyResult r = verify(in);
  EXPECT_TRUE(r.accepted) << r.error_text();
  // A socket filter has no direct packet access in the kernel.
  VerifyInput sf{insns, {}, {}, *linux.find_type("socket_filter"), {}, std::nullopt, linux};
  r = verify(sf);
  ASSERT_FALSE(r.accepted);
  EXPECT_NE(r.error_text().find("invalid ctx access"), std::string::npos) << r.error_text();
}

TEST(VerifierApiTest, UnknownHelperAndHelperLookup) {
  auto insns = assemble_ok("call 5\nexit\n");
  const ProgramType* mem = runtime_platform().find_type("mem");
  VerifyInput in{insns, {}, {}, *mem, [](uint32_t) -> const HelperProto* { return nullptr; },
                 8, runtime_platform()};
  VerifyResult r = verify(in);
  ASSERT_FALSE(r.accepted);
  EXPECT_NE(r.error_text().find("unknown helper"), std::string::npos);
  in.helper = nullptr;
  r = verify(in);
  EXPECT_TRUE(r.accepted) << r.error_text();
}

// A counter compared with a value the verifier cannot bound: the loop has no proven bound,
// whether the test is at the bottom or at the top of the loop.
TEST(VerifierApiTest, LoopOverUnknownCountIsInfinite) {
  for (const char* text : {
           "ldxdw %r2, [%r1+0]\nmov %r3, 0\nloop:\nadd %r3, 1\njlt %r3, %r2, loop\n"
           "mov %r0, 0\nexit\n",
           "ldxdw %r2, [%r1+0]\nmov %r3, 0\nloop:\njge %r3, %r2, out\nadd %r3, 1\nja loop\n"
           "out:\nmov %r0, 0\nexit\n"}) {
    auto insns = assemble_ok(text);
    VerifyOptions opts;
    opts.complexity_limit = 200'000;  // enough to tell, and quick under sanitizers
    VerifyResult r = verify_mem(insns, 64, opts);
    ASSERT_FALSE(r.accepted) << text;
    EXPECT_NE(r.error_text().find("infinite loop"), std::string::npos) << r.error_text();
  }
}

// A loop of 2,000,000 trips is proven by a loop summary: a few hundred instructions are
// processed, not millions. The facts for the JIT inside it hold on the invariant: r5 = i + 1
// is never 0, r6 = i is 0 on the first trip, and buf[i & 63] is inside the 64-byte buffer.
TEST(VerifierApiTest, SummarisedLoopKeepsProvenFacts) {
  auto insns = assemble_ok(R"(
    mov %r0, 0
    mov %r3, 0
  loop:
    mov %r5, %r3
    add %r5, 1
    mov %r4, 1000
    div %r4, %r5
    mov %r6, %r3
    mov %r7, 1000
    div %r7, %r6
    mov %r8, %r3
    and %r8, 63
    add %r8, %r1
    ldxb %r9, [%r8+0]
    add %r0, %r9
    add %r3, 1
    jlt %r3, 2000000, loop
    exit
  )");
  VerifyResult r = verify_mem(insns, 64);
  ASSERT_TRUE(r.accepted) << r.error_text();
  EXPECT_LT(r.stats.insns_processed, 10'000u);
  EXPECT_TRUE(r.insn_flags[5] & kFlagDivisorNonZero);   // div %r4, %r5
  EXPECT_FALSE(r.insn_flags[8] & kFlagDivisorNonZero);  // div %r7, %r6
  EXPECT_TRUE(r.insn_flags[12] & kFlagMemSafe);         // ldxb %r9, [%r8+0]
}

// The same loop reading buf[i] runs past a 64-byte buffer: the summary fails, and the loop
// is followed trip by trip to the access at 64.
TEST(VerifierApiTest, SummaryDoesNotHideAnAccessPastTheBuffer) {
  auto insns = assemble_ok(R"(
    mov %r0, 0
    mov %r3, 0
  loop:
    mov %r8, %r1
    add %r8, %r3
    ldxb %r9, [%r8+0]
    add %r0, %r9
    add %r3, 1
    jlt %r3, 2000000, loop
    exit
  )");
  VerifyResult r = verify_mem(insns, 64);
  ASSERT_FALSE(r.accepted);
  EXPECT_EQ(r.diagnostics[0].insn, 4u);
  EXPECT_NE(r.error_text().find("memory access out of bounds"), std::string::npos)
      << r.error_text();
}

// The bench's call_chain (bench/progs/call_chain.c as clang-19 compiles it): 8,192 trips,
// each calling four nested functions. The summary follows the calls, so the loop is not
// followed trip by trip (that took 303,107 processed instructions), and the load of each
// word through the pointer that walks with the counter is proven.
TEST(VerifierApiTest, LoopCallingNestedFunctionsIsSummarised) {
  auto insns = assemble_ok(R"(
    mov %r6, %r2
    mov %r7, %r1
    mov %r0, 0
    jlt %r6, 8, out
    rsh %r6, 3
    mov %r9, 0
    mov %r1, 1
  loop:
    mov %r8, %r1
    ldxdw %r1, [%r7]
    xor %r1, %r9
    mov %r2, %r8
    add %r2, -1
    call local level1
    add %r0, %r9
    jge %r8, %r6, out
    add %r7, 8
    mov %r1, %r8
    add %r1, 1
    mov %r9, %r0
    jlt %r8, 8192, loop
  out:
    exit
  level1:
    mov %r3, %r1
    rsh %r3, 31
    xor %r3, %r1
    mul %r2, 3
    mov %r1, %r3
    call local level2
    exit
  level2:
    lddw %r3, 0x9e3779b97f4a7c15
    add %r1, %r3
    add %r2, 1
    call local level3
    exit
  level3:
    mov %r6, %r2
    lddw %r2, 0xbf58476d1ce4e5b9
    mul %r1, %r2
    mov %r2, %r6
    call local level4
    xor %r0, %r6
    exit
  level4:
    mov %r0, %r1
    rsh %r0, 29
    xor %r0, %r1
    add %r0, %r2
    exit
  )");
  VerifyResult r = verify_mem(insns, 65536);
  ASSERT_TRUE(r.accepted) << r.error_text();
  EXPECT_LT(r.stats.insns_processed, 5'000u);
  EXPECT_TRUE(r.insn_flags[8] & kFlagMemSafe);  // ldxdw %r1, [%r7]
}

// Once a program is refused, the search for more errors is bounded: here the path where
// the byte read is 0 repeats its state at once (infinite loop), and the other path counts
// to 2,000,000, which alone would take the whole complexity limit. Both errors of a
// program whose second error comes soon after the first are still reported.
TEST(VerifierApiTest, SearchForMoreErrorsStopsSoonAfterTheFirst) {
  auto insns = assemble_ok(R"(
    mov %r0, 0
    mov %r3, 0
  loop:
    ldxb %r6, [%r1+0]
    jne %r6, 0, inc
    ja tail
  inc:
    add %r3, 1
  tail:
    jlt %r3, 2000000, loop
    exit
  )");
  VerifyResult r = verify_mem(insns, 64);
  ASSERT_FALSE(r.accepted);
  EXPECT_NE(r.error_text().find("infinite loop"), std::string::npos) << r.error_text();
  EXPECT_LT(r.stats.insns_processed, 100'000u);

  auto two = assemble_ok(R"(
    ldxb %r6, [%r1+0]
    jeq %r6, 0, second
    add %r0, 1
    exit
  second:
    mov %r0, 0
    add %r7, 1
    exit
  )");
  VerifyResult r2 = verify_mem(two, 64);
  ASSERT_FALSE(r2.accepted);
  EXPECT_EQ(r2.diagnostics.size(), 2u) << r2.error_text();
}

// Precision across calls: the accumulator passes through a callee on every trip but
// decides no branch or offset, so the paths of the callee's two branches meet again at the
// loop head instead of splitting the search (58,000 processed instructions for the bench's
// `calls` kernel when every argument and return value counted as precise).
TEST(VerifierApiTest, AnAccumulatorPassedThroughACalleeDoesNotSplitStates) {
  auto insns = assemble_ok(R"(
    mov %r6, 0
    mov %r7, 0
  loop:
    ldxb %r2, [%r1+0]
    mov %r8, %r1
    mov %r1, %r7
    call local clamp_add
    mov %r7, %r0
    mov %r1, %r8
    add %r6, 1
    jlt %r6, 4096, loop
    mov %r0, %r7
    exit
  clamp_add:
    jlt %r2, 100, small
    mov %r0, 7
    add %r0, %r1
    exit
  small:
    mov %r0, 3
    add %r0, %r1
    exit
  )");
  VerifyResult r = verify_mem(insns, 64);
  ASSERT_TRUE(r.accepted) << r.error_text();
  EXPECT_LT(r.stats.insns_processed, 2'000u);
}

}  // namespace
}  // namespace bpfjit::verifier
