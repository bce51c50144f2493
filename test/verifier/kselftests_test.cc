// The kernel's own verifier selftests (../shared/kselftests: compiled objects and the
// verdict of Linux 6.18 for every test function, loaded as root) against our verifier on
// the linux platform. Each test function is loaded and verified on its own, as the
// kernel's test loader does.
//
// What is asserted:
//  - no program that the kernel rejects is accepted, except those listed in
//    kselftests_known.tsv with the reason (a listed case that no longer differs fails the
//    test too, so the list stays true);
//  - agreement over the cases in scope (program types the linux platform models) is at
//    least kMinAgreement.
// The data is read in place, never copied: the test skips when it is absent. Set
// BPFJIT_KSELFTESTS_REPORT=FILE to write every case's verdicts and reasons as TSV.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "runtime/verify_loaded.h"
#include "verifier/verifier.h"

namespace bpfjit::verifier {
namespace {

// The floor: 95% of the cases in scope.
constexpr double kMinAgreement = 0.95;

std::filesystem::path data_dir() {
  if (const char* env = std::getenv("BPFJIT_KSELFTESTS_DIR")) return env;
  return BPFJIT_KSELFTESTS_DIR;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == '\t') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  return out;
}

struct Case {
  std::string file, function, section;
  bool kernel_accepts = false;
  std::string kernel_msg;
};

std::vector<Case> read_cases(const std::filesystem::path& tsv) {
  std::ifstream in(tsv);
  std::string line;
  std::vector<Case> out;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    auto f = split_tabs(line);
    if (f.size() < 6) continue;
    out.push_back({f[0], f[1], f[2], f[4] == "accept", f[5]});
  }
  return out;
}

// (file, function) -> reason, for kernel rejections we accept on purpose.
std::map<std::pair<std::string, std::string>, std::string> read_known() {
  std::map<std::pair<std::string, std::string>, std::string> out;
  std::ifstream in(BPFJIT_KSELFTESTS_KNOWN);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split_tabs(line);
    if (f.size() >= 3) out[{f[0], f[1]}] = f[2];
  }
  return out;
}

struct Outcome {
  bool in_scope = false;
  bool accepted = false;
  std::string reason;
  uint64_t insns = 0;
};

class Objects {
 public:
  const Result<LoadedObject>& get(const std::string& file) {
    auto it = cache_.find(file);
    if (it != cache_.end()) return *it->second;
    std::ifstream in(data_dir() / "obj" / (file + ".o"), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
    LoadOptions lo;
    lo.type_override = "mem";  // context offsets stay the kernel's; the platform checks them
    lo.kernel_decode = true;
    auto r = std::make_unique<Result<LoadedObject>>(load_object(bytes, lo));
    return *cache_.emplace(file, std::move(r)).first->second;
  }

 private:
  std::map<std::string, std::unique_ptr<Result<LoadedObject>>> cache_;
};

Outcome run_case(Objects& objects, const Case& c) {
  Outcome o;
  const Platform& platform = linux_platform();
  const ProgramType* type = platform.type_for_section(c.section);
  if (!type) {
    o.reason = "no linux program type for section " + c.section;
    return o;
  }
  o.in_scope = true;
  const auto& obj = objects.get(c.file);
  if (!obj) {
    o.reason = "load: " + obj.error().to_string();
    return o;
  }
  const LoadedProgram* prog = nullptr;
  for (const LoadedProgram& p : obj->programs) {
    if (p.name == c.function) prog = &p;
  }
  if (!prog) {
    o.reason = "load: the object has no program " + c.function;
    return o;
  }
  if (prog->load_error) {
    o.reason = "load: " + prog->load_error->to_string();
    return o;
  }
  VerifyResult r = verify_loaded_program(*obj, *prog, *type, platform, std::nullopt);
  o.accepted = r.accepted;
  o.insns = r.stats.insns_processed;
  if (!r.accepted) o.reason = r.error_text();
  return o;
}

TEST(KernelSelftestsTest, VerdictsAgreeWithTheKernel) {
  const auto tsv = data_dir() / "cases.tsv";
  if (!std::filesystem::exists(tsv)) {
    GTEST_SKIP() << "the kernel selftests are not at " << data_dir()
                 << " (set BPFJIT_KSELFTESTS_DIR)";
  }
  auto cases = read_cases(tsv);
  ASSERT_GT(cases.size(), 700u);
  auto known = read_known();
  Objects objects;

  std::unique_ptr<std::ofstream> report;
  if (const char* path = std::getenv("BPFJIT_KSELFTESTS_REPORT")) {
    report = std::make_unique<std::ofstream>(path);
    *report << "file\tfunction\tsection\tkernel\tours\tin_scope\tkernel_msg\tour_reason\n";
  }

  size_t in_scope = 0, agree = 0, out_of_scope = 0;
  size_t wrongly_accepted = 0, wrongly_rejected = 0;
  std::map<std::string, std::pair<size_t, size_t>> by_section;  // agree, in scope
  std::set<std::pair<std::string, std::string>> still_known;
  for (const Case& c : cases) {
    Outcome o = run_case(objects, c);
    if (report) {
      *report << c.file << '\t' << c.function << '\t' << c.section << '\t'
              << (c.kernel_accepts ? "accept" : "reject") << '\t'
              << (o.accepted ? "accept" : "reject") << '\t' << (o.in_scope ? "yes" : "no")
              << '\t' << c.kernel_msg << '\t' << o.reason << '\n';
    }
    if (!o.in_scope) {
      ++out_of_scope;
      continue;
    }
    ++in_scope;
    std::string group = c.section.substr(0, c.section.find('/'));
    auto& g = by_section[group];
    ++g.second;
    if (o.accepted == c.kernel_accepts) {
      ++agree;
      ++g.first;
      continue;
    }
    if (o.accepted) {
      ++wrongly_accepted;
      auto it = known.find({c.file, c.function});
      if (it == known.end()) {
        ADD_FAILURE() << c.file << " " << c.function << " (" << c.section
                      << "): accepted, but the kernel rejects it: " << c.kernel_msg;
      } else {
        still_known.insert(it->first);
      }
    } else {
      ++wrongly_rejected;
    }
  }
  for (const auto& [key, why] : known) {
    EXPECT_TRUE(still_known.count(key))
        << key.first << " " << key.second
        << " is listed in kselftests_known.tsv but no longer accepted against the kernel's "
           "verdict; remove it";
  }
  std::string table;
  for (const auto& [g, n] : by_section) {
    table += fmt::format("  {:<16} {:>4} / {:<4}\n", g, n.first, n.second);
  }
  const double agreement = in_scope ? static_cast<double>(agree) / in_scope : 0;
  std::cout << fmt::format(
      "kernel selftests: {} cases, {} in scope, {} agree ({:.1f}%), {} accepted that the "
      "kernel rejects, {} rejected that the kernel accepts, {} out of scope\n{}",
      cases.size(), in_scope, agree, 100 * agreement, wrongly_accepted, wrongly_rejected,
      out_of_scope, table);
  EXPECT_GE(agreement, kMinAgreement);
}

}  // namespace
}  // namespace bpfjit::verifier
