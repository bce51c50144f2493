// The kernel agrees with the verifier catalogues: every case of every catalogue file is
// loaded into the kernel (bpf(BPF_PROG_LOAD)) and the kernel's verdict must match the
// expectation (cases noted "stricter than the kernel" must be accepted by the kernel).
// Cases expecting the complexity limit are left out: the kernel needs seconds to reach it.
// Skipped where bpf() is unavailable (no privilege, no syscall), so CI stays clean there.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "test/verifier/kernel_oracle.h"

namespace bpfjit::oracle {
namespace {

class KernelOracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto r = kernel_available(); !r) GTEST_SKIP() << r.error().to_string();
  }
};

// Parses one inline case and runs it through the kernel.
KernelVerdict run_inline(const std::string& text, CatalogueCase* parsed = nullptr) {
  auto cases = parse_catalogue(text, "inline");
  EXPECT_TRUE(cases.ok()) << cases.error().to_string();
  if (!cases.ok() || cases->size() != 1) return {};
  if (parsed != nullptr) *parsed = cases->at(0);
  auto v = run_in_kernel(cases->at(0));
  EXPECT_TRUE(v.ok()) << v.error().to_string();
  return v.ok() ? *v : KernelVerdict{};
}

TEST_F(KernelOracleTest, AcceptsASafeMemProgramThroughTheWrapper) {
  KernelVerdict v = run_inline(
      "=== read-last-byte\n"
      "mem_size: 16\n"
      "expect: accept\n"
      "asm:\n"
      "  ldxb %r0, [%r1+15]\n"
      "  exit\n");
  EXPECT_TRUE(v.accepted) << v.log_tail(6);
  EXPECT_EQ(v.prologue_slots, kMemPrologueSlots);
}

TEST_F(KernelOracleTest, RejectsAReadPastTheMemBuffer) {
  CatalogueCase c;
  KernelVerdict v = run_inline(
      "=== read-past-end\n"
      "mem_size: 16\n"
      "expect: reject 1 memory access out of bounds\n"
      "asm:\n"
      "  mov %r0, 0\n"
      "  ldxb %r0, [%r1+16]\n"
      "  exit\n",
      &c);
  EXPECT_FALSE(c.expect_accept);
  EXPECT_EQ(c.expect_insn, 1u);
  EXPECT_EQ(c.expect_reason, "memory access out of bounds");
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.last_insn(), 1) << v.log;
  EXPECT_NE(v.log.find("invalid access to map value"), std::string::npos) << v.log;
}

TEST_F(KernelOracleTest, PatchesMapReferencesToRealFds) {
  KernelVerdict v = run_inline(
      "=== lookup\n"
      "maps: hash 4 8 1\n"
      "expect: accept\n"
      "asm:\n"
      "  stw [%r10-4], 0\n"
      "  lddw %r1, map_fd 0\n"
      "  mov %r2, %r10\n"
      "  add %r2, -4\n"
      "  call 1\n"
      "  jeq %r0, 0, +1\n"
      "  ldxdw %r0, [%r0+0]\n"
      "  exit\n");
  EXPECT_TRUE(v.accepted) << v.log_tail(6);
}

TEST(KernelOracleParseTest, RejectsAnUnknownKey) {
  auto cases = parse_catalogue("=== x\nexpct: accept\nasm:\n  exit\n", "inline");
  ASSERT_FALSE(cases.ok());
  EXPECT_NE(cases.error().message.find("unknown key 'expct'"), std::string::npos);
}

std::vector<std::string> catalogue_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(BPFJIT_CATALOGUE_DIR, ec)) {
    if (entry.path().extension() == ".txt") files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class KernelAgreesTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (auto r = kernel_available(); !r) GTEST_SKIP() << r.error().to_string();
  }
};

TEST_P(KernelAgreesTest, EveryCase) {
  auto cases = read_catalogue(std::string(BPFJIT_CATALOGUE_DIR) + "/" + GetParam());
  ASSERT_TRUE(cases.ok()) << cases.error().to_string();
  ASSERT_FALSE(cases->empty());
  for (const CatalogueCase& c : *cases) {
    // Cases the kernel follows to its own complexity limit take seconds each there.
    if (c.expect_reason == "complexity limit" || c.kernel_rejects()) continue;
    auto v = run_in_kernel(c);
    ASSERT_TRUE(v.ok()) << c.name << ": " << v.error().to_string();
    bool kernel_should_accept =
        (c.expect_accept && !c.kernel_rejects()) || c.stricter_than_kernel();
    EXPECT_EQ(v->accepted, kernel_should_accept)
        << GetParam() << ":" << c.line << " " << c.name << "\n"
        << v->log_tail(6);
  }
}

TEST(KernelOracleCatalogueTest, FindsTheCatalogues) {
  EXPECT_GE(catalogue_files().size(), 10u) << BPFJIT_CATALOGUE_DIR;
}

INSTANTIATE_TEST_SUITE_P(Catalogues, KernelAgreesTest, ::testing::ValuesIn(catalogue_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param.substr(0, info.param.find('.'));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace bpfjit::oracle
