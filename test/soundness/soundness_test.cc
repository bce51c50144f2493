// The verifier's soundness oracle under CTest: the object writer and the strict helpers
// the oracle relies on, the oracle's own ability to see a fault, each family's reach
// (accepted and rejected programs both), and a time-bounded sweep of every family in
// which no accepted program may fault. The long mode is bpfjit-soundness.
#include <gtest/gtest.h>

#include <filesystem>

#include "bpfjit/runtime.h"
#include "runtime/isa/asm.h"
#include "test/soundness/driver.h"

#ifndef BPFJIT_SOUNDNESS_SECONDS
#define BPFJIT_SOUNDNESS_SECONDS 25
#endif

namespace bpfjit::soundness {
namespace {

Case make_case(const std::string& type, const std::string& text, std::vector<ElfMap> maps = {}) {
  Case c;
  c.family = "test";
  c.type = type;
  c.maps = std::move(maps);
  auto insns = assemble(text);
  EXPECT_TRUE(insns.ok()) << insns.error().to_string();
  if (insns) c.insns = *insns;
  return c;
}

TEST(SoundnessElfTest, ObjectWithAMapLoadsAndRuns) {
  // Looks up key 0 of an array map and returns its first byte + 1.
  Case c = make_case("mem", R"(
  stw [%r10-4], 0
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map_fd 0
  call 1
  jeq %r0, 0, out
  ldxb %r0, [%r0+0]
  add %r0, 1
  exit
out:
  mov %r0, 0
  exit
)", {{2, 4, 8, 1, 0}});
  auto elf = build_object(c.insns, c.maps, "mem");
  ASSERT_TRUE(elf.ok()) << elf.error().to_string();
  Runtime rt;
  auto obj = rt.load_bytes(*elf);
  ASSERT_TRUE(obj.ok()) << obj.error().to_string();
  Program* p = (*obj)->programs().at(0);
  ASSERT_TRUE(p->prepare().ok());
  std::vector<uint8_t> v(8, 0);
  v[0] = 41;
  ASSERT_TRUE((*obj)->maps().at(0)->update(std::vector<uint8_t>(4, 0), v).ok());
  std::vector<uint8_t> buf;
  auto r = p->run(buf);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 42u);
}

TEST(SoundnessOracleTest, AcceptedSafeProgramRunsOnBothEngines) {
  Case c = make_case("xdp", R"(
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 4
  jgt %r4, %r3, out
  ldxw %r5, [%r2+0]
out:
  mov %r0, 2
  exit
)");
  c.edges = {4};
  auto rt = make_strict_runtime();
  CaseResult r = check_case(*rt, c, 1);
  EXPECT_EQ(r.outcome, Outcome::kRan) << r.note << r.report;
  EXPECT_EQ(r.runs, 2 * OracleOptions{}.inputs);
}

// Checks 4 bytes, reads 4 bytes at offset 1.
constexpr const char* kReadsOnePastTheCheck = R"(
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 4
  jgt %r4, %r3, out
  ldxw %r5, [%r2+1]
out:
  mov %r0, 2
  exit
)";

TEST(SoundnessOracleTest, RejectedProgramIsNotRun) {
  Case c = make_case("xdp", kReadsOnePastTheCheck);
  for (const char* platform : {"runtime", "linux"}) {
    c.platform = platform;
    auto rt = make_strict_runtime();
    CaseResult r = check_case(*rt, c, 1);
    EXPECT_EQ(r.outcome, Outcome::kRejected) << platform;
    EXPECT_EQ(r.runs, 0u);
    EXPECT_NE(r.note.find("out of bounds"), std::string::npos) << r.note;
  }
}

// The oracle sees a fault when it runs an unsafe program (here without verifying it): the
// report names the program, the input and the fault.
TEST(SoundnessOracleTest, SeesAFaultAndReportsIt) {
  Case c = make_case("xdp", kReadsOnePastTheCheck);
  c.edges = {4};
  OracleOptions o;
  o.skip_verify = true;
  o.inputs = 20;
  auto rt = make_strict_runtime();
  CaseResult r = check_case(*rt, c, 3, o);
  ASSERT_EQ(r.outcome, Outcome::kTrapped);
  EXPECT_NE(r.report.find("ldxw %r5, [%r2+1]"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("packet 4 bytes"), std::string::npos) << r.report;
  EXPECT_NE(r.report.find("outside every allowed region"), std::string::npos) << r.report;
}

// probe_read's built-in returns -EFAULT for a destination it may not write; the strict
// wrapper makes that a fault the oracle sees.
TEST(SoundnessOracleTest, StrictHelpersFaultOnABadMemoryArgument) {
  Case c = make_case("mem", R"(
  mov %r1, %r10
  add %r1, 8
  mov %r2, 8
  mov %r3, %r10
  add %r3, -8
  call 4
  mov %r0, 0
  exit
)");
  OracleOptions o;
  o.skip_verify = true;
  auto rt = make_strict_runtime();
  CaseResult r = check_case(*rt, c, 1, o);
  ASSERT_EQ(r.outcome, Outcome::kTrapped);
  EXPECT_NE(r.report.find("strict helper check: helper 4"), std::string::npos) << r.report;
}

// Every family reaches both sides of its edge: some programs accepted and run, some
// rejected; an oracle whose programs are all rejected would prove nothing.
class SoundnessFamilyTest : public testing::TestWithParam<std::string> {};

bool have_objects() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(BPFJIT_BPF_PROGS_DIR, ec)) {
    if (e.path().extension() == ".o") return true;
  }
  return false;
}

TEST_P(SoundnessFamilyTest, ReachesAcceptedAndRejectedPrograms) {
  if (GetParam() == "objmut" && !have_objects()) {
    GTEST_SKIP() << "no objects in " << BPFJIT_BPF_PROGS_DIR << " (build bpf_progs)";
  }
  SweepOptions o;
  o.programs = 150;
  o.seed = 1000;
  o.family = GetParam();
  o.gen.catalogue_dir = BPFJIT_CATALOGUE_DIR;
  o.gen.objects_dir = BPFJIT_BPF_PROGS_DIR;
  o.oracle.inputs = 2;
  SweepResult r = sweep(o);
  const FamilyStats& f = r.total;
  for (const auto& rep : r.reports) ADD_FAILURE() << rep;
  EXPECT_EQ(f.trapped, 0u);
  EXPECT_GE(f.accepted * 10, f.generated) << format_stats(r);      // at least 10% accepted
  EXPECT_GE((f.generated - f.accepted) * 10, f.generated) << format_stats(r);  // and 10% not
  EXPECT_GT(f.ran, 0u) << format_stats(r);
  std::printf("%s", format_stats(r).c_str());
}

INSTANTIATE_TEST_SUITE_P(Families, SoundnessFamilyTest, testing::ValuesIn(families()),
                         [](const testing::TestParamInfo<std::string>& i) { return i.param; });

// The bounded sweep: every family, as many programs as fit in the time.
TEST(SoundnessSweepTest, NoAcceptedProgramFaults) {
  SweepOptions o;
  o.programs = UINT64_MAX;
  o.seconds = BPFJIT_SOUNDNESS_SECONDS;
  o.seed = 1;
  o.gen.catalogue_dir = BPFJIT_CATALOGUE_DIR;
  o.gen.objects_dir = BPFJIT_BPF_PROGS_DIR;
  SweepResult r = sweep(o);
  for (const auto& rep : r.reports) ADD_FAILURE() << rep;
  EXPECT_EQ(r.total.trapped, 0u);
  EXPECT_GT(r.total.ran, 0u);
  std::printf("%s", format_stats(r).c_str());
}

}  // namespace
}  // namespace bpfjit::soundness
