// The 313 positive tests of the eBPF conformance suite, run on every engine, and on the JIT
// with constant blinding (EngineOptions::harden) too.
//
// Each case of ${BPFJIT_CONFORMANCE_DIR}/cases.tsv (already assembled by the suite's data
// snapshot) is decoded, made ready by prepare_engine() for the engine under test and run
// with r1 = a writable copy of its memory and r2 = its length; r0 must equal the expected
// value in all 64 bits. Helper 5 returns r1, as the suite expects.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/engine.h"
#include "runtime/isa/decode.h"

namespace bpfjit {
namespace {

// The engines every case runs on: the interpreter, the JIT, the JIT with constant blinding.
struct Engine {
  EngineKind kind;
  bool harden;
  const char* name;
};
const std::vector<Engine> kEngines = {{EngineKind::kInterpreter, false, "interp"},
                                      {EngineKind::kJit, false, "jit"},
                                      {EngineKind::kJit, true, "jit_harden"}};

struct Case {
  std::string file;  // e.g. "add.data"
  uint64_t expected_r0 = 0;
  std::vector<uint8_t> mem;
  std::vector<uint8_t> program;
};

std::filesystem::path cases_path() {
  return std::filesystem::path(BPFJIT_CONFORMANCE_DIR) / "cases.tsv";
}

bool parse_hex(const std::string& hex, std::vector<uint8_t>& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    if (std::sscanf(hex.c_str() + i, "%2x", &v) != 1) return false;
    out.push_back(static_cast<uint8_t>(v));
  }
  return true;
}

// Reads cases.tsv: file, expected_r0, mem_hex, program_hex, min_cpu, extra_groups, area.
// Returns nothing when the file is absent; a malformed line becomes a case whose program is
// empty, which fails to decode and so fails its test.
std::vector<Case> load_cases() {
  std::vector<Case> cases;
  std::ifstream in(cases_path());
  std::string line;
  if (!std::getline(in, line)) return cases;  // the header (or no file)
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    std::stringstream ss(line);
    std::string col;
    while (std::getline(ss, col, '\t')) cols.push_back(col);
    if (cols.empty() || cols[0].empty()) continue;
    Case c;
    c.file = cols[0];
    if (cols.size() >= 4) {
      c.expected_r0 = std::stoull(cols[1], nullptr, 0);
      if (!parse_hex(cols[2], c.mem) || !parse_hex(cols[3], c.program)) c.program.clear();
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = load_cases();
  return cases;
}

uint64_t return_r1(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return r1;
}

// Runs one case on one engine: its r0, or why there is none.
Result<uint64_t> run_case(const Case& c, const Engine& engine) {
  auto insns = decode_bytes(c.program);
  if (!insns) return insns.take_error();
  std::vector<HelperFn> helpers(6, nullptr);
  helpers[5] = &return_r1;
  EngineOptions opts;
  opts.kind = engine.kind;
  opts.harden = engine.harden;
  opts.helpers = helpers;
  opts.name = c.file;
  auto exe = prepare_engine(std::move(*insns), opts);
  if (!exe) return exe.take_error();

  std::vector<uint8_t> mem = c.mem;  // a writable copy
  std::vector<uint8_t> stack(kStackSize);
  MemRegion region{reinterpret_cast<uint64_t>(mem.data()),
                   reinterpret_cast<uint64_t>(mem.data()) + mem.size(), true};
  RunContext ctx;
  ctx.stack = stack.data();
  ctx.regions = mem.empty() ? nullptr : &region;
  ctx.region_count = mem.empty() ? 0 : 1;
  ctx.helpers = helpers;
  uint64_t r1 = mem.empty() ? 0 : reinterpret_cast<uint64_t>(mem.data());
  uint64_t r0 = (*exe)->run(ctx, r1, mem.size());
  if (ctx.trap.kind != TrapKind::kNone) {
    return make_error(ErrorCode::kRuntime, ctx.trap.to_string());
  }
  return r0;
}

std::string test_name(const std::string& file) {
  std::string name = file.substr(0, file.rfind(".data"));
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  return name;
}

// --- one test per engine and case ---------------------------------------------------------

struct CaseParam {
  Engine engine;
  size_t index;  // into all_cases(); SIZE_MAX when the suite is absent
};

std::vector<CaseParam> case_params() {
  std::vector<CaseParam> params;
  for (const Engine& e : kEngines) {
    if (all_cases().empty()) params.push_back({e, SIZE_MAX});
    for (size_t i = 0; i < all_cases().size(); ++i) params.push_back({e, i});
  }
  return params;
}

class ConformanceCaseTest : public ::testing::TestWithParam<CaseParam> {};

TEST_P(ConformanceCaseTest, ReturnsExpectedR0) {
  const CaseParam& p = GetParam();
  if (p.index == SIZE_MAX) {
    GTEST_SKIP() << "no conformance data at " << cases_path()
                 << " (set BPFJIT_CONFORMANCE_DIR)";
  }
  const Case& c = all_cases()[p.index];
  auto r0 = run_case(c, p.engine);
  ASSERT_TRUE(r0.ok()) << c.file << ": " << r0.error().to_string();
  EXPECT_EQ(*r0, c.expected_r0) << c.file << std::hex << ": r0 is 0x" << *r0
                                << ", expected 0x" << c.expected_r0;
}

INSTANTIATE_TEST_SUITE_P(
    Suite, ConformanceCaseTest, ::testing::ValuesIn(case_params()),
    [](const ::testing::TestParamInfo<CaseParam>& info) {
      std::string engine = info.param.engine.name;
      if (info.param.index == SIZE_MAX) return engine + "_absent";
      return engine + "_" + test_name(all_cases()[info.param.index].file);
    });

// --- one summary per engine: every failing file and the count -----------------------------

class ConformanceSummaryTest : public ::testing::TestWithParam<Engine> {};

TEST_P(ConformanceSummaryTest, EveryCasePasses) {
  if (all_cases().empty()) {
    GTEST_SKIP() << "no conformance data at " << cases_path()
                 << " (set BPFJIT_CONFORMANCE_DIR)";
  }
  size_t passed = 0;
  std::string failures;
  for (const Case& c : all_cases()) {
    auto r0 = run_case(c, GetParam());
    if (r0.ok() && *r0 == c.expected_r0) {
      ++passed;
    } else {
      failures += "\n  " + c.file + ": " +
                  (r0.ok() ? "wrong r0" : r0.error().to_string());
    }
  }
  std::printf("%s: %zu of %zu conformance cases pass\n", GetParam().name, passed,
              all_cases().size());
  EXPECT_EQ(passed, all_cases().size()) << "failing cases:" << failures;
  // The snapshot holds 313 positive tests; fewer means cases.tsv was not read completely.
  EXPECT_EQ(all_cases().size(), 313u);
}

INSTANTIATE_TEST_SUITE_P(Suite, ConformanceSummaryTest, ::testing::ValuesIn(kEngines),
                         [](const ::testing::TestParamInfo<Engine>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace bpfjit
