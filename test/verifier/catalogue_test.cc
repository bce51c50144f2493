// Runs every case of the verifier catalogues (test/verifier/catalogue/*.txt, the format of
// the verifier contract): assembles it, verifies it on the runtime platform and checks the
// expectation: accepted, or rejected at the expected instruction with the reason phrase.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "runtime/isa/asm.h"
#include "verifier/verifier.h"

#if BPFJIT_HAVE_CATALOGUE_READER
#include "test/verifier/kernel_oracle.h"
#endif

namespace bpfjit::verifier {
namespace {

#if BPFJIT_HAVE_CATALOGUE_READER

std::vector<oracle::CatalogueCase> all_cases() {
  std::vector<oracle::CatalogueCase> out;
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(BPFJIT_CATALOGUE_DIR, ec)) {
    if (e.path().extension() == ".txt") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto cases = oracle::read_catalogue(f.string());
    if (!cases) {
      ADD_FAILURE() << f << ": " << cases.error().to_string();
      continue;
    }
    for (auto& c : *cases) out.push_back(std::move(c));
  }
  return out;
}

std::string case_name(const testing::TestParamInfo<oracle::CatalogueCase>& info) {
  std::string n = info.param.name;
  for (char& ch : n) {
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return n + "_" + std::to_string(info.index);
}

class CatalogueTest : public testing::TestWithParam<oracle::CatalogueCase> {};

TEST_P(CatalogueTest, MatchesExpectation) {
  const oracle::CatalogueCase& c = GetParam();
  SCOPED_TRACE(c.file + ":" + std::to_string(c.line) + " " + c.name);
  const Platform* found = find_platform(c.platform);
  ASSERT_NE(found, nullptr) << "no platform " << c.platform;
  const Platform& platform = *found;
  // Kernel-style decoding leaves writes to r10 to the verifier (LoadOptions::kernel_decode).
  DecodeOptions dopts;
  dopts.allow_r10_writes = platform.kernel_rules;
  auto insns = assemble(c.asm_text, dopts);
  ASSERT_TRUE(insns.ok()) << insns.error().to_string();
  const ProgramType* type = platform.find_type(c.type);
  ASSERT_NE(type, nullptr) << "no program type " << c.type;
  std::vector<MapInfo> maps;
  for (const auto& m : c.maps) {
    MapInfo info;
    info.type = map_type_from_name(m.type);
    ASSERT_NE(info.type, 0u) << "unknown map type " << m.type;
    info.key_size = m.key_size;
    info.value_size = m.value_size;
    info.max_entries = m.max_entries;
    info.read_only = m.rdonly_prog;
    info.write_only = m.wronly_prog;
    info.inner = m.inner;
    info.spin_lock_off = m.spin_lock_off;
    maps.push_back(info);
  }
  VerifyInput input{*insns, {}, maps, *type, {}, std::nullopt, platform};
  if (type->model == CtxModel::kMemBuffer) input.mem_size = c.mem_size;
  VerifyResult r = verify(input);
  if (c.expect_accept) {
    EXPECT_TRUE(r.accepted) << r.error_text();
    return;
  }
  ASSERT_FALSE(r.accepted) << "expected a rejection at insn " << c.expect_insn << ": "
                           << c.expect_reason;
  const Diagnostic& d = r.diagnostics.front();
  EXPECT_EQ(d.insn, c.expect_insn) << d.to_string();
  EXPECT_NE(d.message.find(c.expect_reason), std::string::npos)
      << d.to_string() << "\nexpected reason: " << c.expect_reason;
}

INSTANTIATE_TEST_SUITE_P(Catalogue, CatalogueTest, testing::ValuesIn(all_cases()), case_name);

TEST(CatalogueFilesTest, ThereAreCases) { EXPECT_GT(all_cases().size(), 50u); }

#else

TEST(CatalogueFilesTest, ThereAreCases) {
  GTEST_SKIP() << "the catalogue reader (test/verifier/oracle.cmake) is not built";
}

#endif

}  // namespace
}  // namespace bpfjit::verifier
