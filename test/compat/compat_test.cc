// The compatibility corpus (bpf-progs/compat/) verified by bpfjit on the linux platform and
// compared with the kernel's recorded verdicts (kernel_verdicts.tsv, written by record.sh
// on a real kernel). Every disagreement must be listed in known_differences.tsv, and every
// listed one must still disagree, so the list only shrinks as bpfjit catches up. Needs no
// kernel.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/cli/verify_object.h"

namespace bpfjit {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) fields.push_back(field);
  if (!line.empty() && line.back() == '\t') fields.push_back("");
  return fields;
}

// The rows of a TSV file, without '#' comment lines and blank lines.
std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    rows.push_back(split_tabs(line));
  }
  return rows;
}

struct Row {
  std::string object, program, section;
  bool kernel_accepts = false;
  std::string kernel_reason;
  bool ours_accepts = false;
  std::string our_reason;
  std::string type;  // the linux program type of the section, for the summary
};

using Key = std::pair<std::string, std::string>;  // object, program

struct Comparison {
  std::vector<Row> rows;
  std::map<Key, std::pair<std::string, std::string>> known;  // -> our verdict, reason
  std::string error;                                         // reading the data failed
};

// The linux program type the section implies, or "(section)" when the platform has none.
std::string type_label(const std::string& section) {
  if (const ProgramType* t = verifier::linux_platform().type_for_section(section))
    return t->name;
  return "(" + section.substr(0, section.find('/')) + ")";
}

Comparison compare() {
  Comparison c;
  const std::string data = BPFJIT_COMPAT_DATA_DIR;
  auto kernel = read_tsv(data + "/kernel_verdicts.tsv");
  if (kernel.empty()) {
    c.error = "no rows in " + data + "/kernel_verdicts.tsv";
    return c;
  }
  for (const auto& k : read_tsv(data + "/known_differences.tsv")) {
    if (k.size() < 4 || (k[2] != "accept" && k[2] != "reject")) {
      c.error = "known_differences.tsv: a row is not object, program, accept|reject, reason";
      return c;
    }
    c.known[{k[0], k[1]}] = {k[2], k[3]};
  }
  std::map<std::string, std::vector<cli::ProgramVerdict>> ours;  // by object
  std::map<std::string, std::string> object_errors;
  for (const auto& k : kernel) {
    if (k.size() < 4 || (k[3] != "accept" && k[3] != "reject")) {
      c.error = "kernel_verdicts.tsv: a row is not object, program, section, verdict, reason";
      return c;
    }
    const std::string& object = k[0];
    if (!ours.count(object) && !object_errors.count(object)) {
      std::ifstream in(std::string(BPFJIT_COMPAT_PROGS_DIR) + "/" + object, std::ios::binary);
      std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
      if (bytes.empty()) {
        c.error = "cannot read the corpus object " + object;
        return c;
      }
      // CO-RE relocations resolve against the recorded layouts of the kernel that gave the
      // verdicts (target.btf, cut by record.sh), never the machine's own.
      cli::ObjectVerifyOptions opts;
      opts.load.target_btf = std::string(BPFJIT_COMPAT_DATA_DIR) + "/target.btf";
      // Code only in .text has no section to imply a type: the oracle loads it as a
      // socket filter (kernel_verdicts.c, kSectionTypes), and a user gives --type.
      if (k[2] == ".text") opts.type = "socket_filter";
      auto v = cli::verify_object_programs(bytes, verifier::linux_platform(), opts);
      if (v) {
        ours[object] = std::move(*v);
      } else {
        object_errors[object] = "load error: " + v.error().to_string();
        ours[object] = {};
      }
    }
    Row r{object, k[1], k[2], k[3] == "accept", k.size() > 4 ? k[4] : "", false, "", ""};
    r.our_reason = object_errors.count(object) ? object_errors[object]
                                               : "the loader found no such program";
    for (const cli::ProgramVerdict& v : ours[object]) {
      if (v.name != r.program) continue;
      r.ours_accepts = v.accepted;
      r.our_reason = v.diagnostics.empty() ? ""
                                           : (v.load_failed ? "load error: " : "") +
                                                 v.diagnostics[0].to_string();
    }
    r.type = type_label(r.section);
    c.rows.push_back(std::move(r));
  }
  return c;
}

const Comparison& comparison() {
  static const Comparison c = compare();
  return c;
}

const char* verdict(bool accepts) { return accepts ? "accept" : "reject"; }

TEST(CompatTest, CorpusHasVerdictsOfBothKinds) {
  const Comparison& c = comparison();
  ASSERT_TRUE(c.error.empty()) << c.error;
  size_t accepted = 0, rejected = 0;
  for (const Row& r : c.rows) (r.kernel_accepts ? accepted : rejected)++;
  EXPECT_GE(c.rows.size(), 40u);
  EXPECT_GE(accepted, 20u);
  EXPECT_GE(rejected, 8u);
}

TEST(CompatTest, EveryDisagreementIsKnown) {
  const Comparison& c = comparison();
  ASSERT_TRUE(c.error.empty()) << c.error;
  std::string unlisted;
  for (const Row& r : c.rows) {
    if (r.ours_accepts == r.kernel_accepts) continue;
    auto it = c.known.find({r.object, r.program});
    if (it != c.known.end() && it->second.first == verdict(r.ours_accepts)) continue;
    unlisted += r.object + "\t" + r.program + "\t" + verdict(r.ours_accepts) + "\t" +
                (r.ours_accepts ? "kernel: " + r.kernel_reason : r.our_reason) + "\n";
  }
  EXPECT_TRUE(unlisted.empty())
      << "disagreements with the kernel not in known_differences.tsv:\n"
      << unlisted;
}

TEST(CompatTest, EveryKnownDifferenceStillDiffers) {
  const Comparison& c = comparison();
  ASSERT_TRUE(c.error.empty()) << c.error;
  std::set<Key> seen;
  std::string stale;
  for (const Row& r : c.rows) {
    auto it = c.known.find({r.object, r.program});
    if (it == c.known.end()) continue;
    seen.insert(it->first);
    if (r.ours_accepts != r.kernel_accepts && it->second.first == verdict(r.ours_accepts))
      continue;
    stale += r.object + "\t" + r.program + ": bpfjit now says " + verdict(r.ours_accepts) +
             ", the kernel " + verdict(r.kernel_accepts) + "\n";
  }
  for (const auto& [key, value] : c.known) {
    if (!seen.count(key)) stale += key.first + "\t" + key.second + ": not in the corpus\n";
  }
  EXPECT_TRUE(stale.empty())
      << "rows of known_differences.tsv that no longer hold (remove them):\n"
      << stale;
}

// With BPFJIT_COMPAT_UPDATE=1 in the environment, rewrites known_differences.tsv to the
// current disagreements (keeping its comment lines), for after the loader, the platform
// or the verifier changed. Skipped otherwise.
TEST(CompatTest, UpdatesKnownDifferencesWhenAsked) {
  const char* update = std::getenv("BPFJIT_COMPAT_UPDATE");
  if (!update || std::string(update) != "1") GTEST_SKIP() << "BPFJIT_COMPAT_UPDATE is not 1";
  const Comparison& c = comparison();
  ASSERT_TRUE(c.error.empty()) << c.error;
  const std::string path = std::string(BPFJIT_COMPAT_DATA_DIR) + "/known_differences.tsv";
  std::string text;
  {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] == '#') text += line + "\n";
    }
  }
  size_t rows = 0;
  for (const Row& r : c.rows) {
    if (r.ours_accepts == r.kernel_accepts) continue;
    text += r.object + "\t" + r.program + "\t" + verdict(r.ours_accepts) + "\t" +
            (r.ours_accepts ? "kernel: " + r.kernel_reason : r.our_reason) + "\n";
    ++rows;
  }
  std::ofstream out(path, std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
  std::printf("compat: wrote %zu disagreements to %s\n", rows, path.c_str());
}

TEST(CompatTest, PrintsAgreementPerProgramType) {
  const Comparison& c = comparison();
  ASSERT_TRUE(c.error.empty()) << c.error;
  struct Count {
    size_t programs = 0, agree = 0, kernel_rejects = 0, we_reject_too = 0;
  };
  std::map<std::string, Count> by_type;
  Count total;
  for (const Row& r : c.rows) {
    for (Count* n : {&by_type[r.type], &total}) {
      n->programs++;
      n->agree += r.ours_accepts == r.kernel_accepts;
      n->kernel_rejects += !r.kernel_accepts;
      n->we_reject_too += !r.kernel_accepts && !r.ours_accepts;
    }
  }
  std::printf("compat: agreement with the kernel per program type (the linux platform's "
              "type for the section, or (section) when it has none)\n");
  for (const auto& [type, n] : by_type) {
    std::printf("  %-24s %3zu programs, %3zu agree (kernel rejects %zu, bpfjit too %zu)\n",
                type.c_str(), n.programs, n.agree, n.kernel_rejects, n.we_reject_too);
  }
  std::printf("  %-24s %3zu programs, %3zu agree (kernel rejects %zu, bpfjit too %zu)\n",
              "total", total.programs, total.agree, total.kernel_rejects,
              total.we_reject_too);
  EXPECT_EQ(total.programs, c.rows.size());
}

}  // namespace
}  // namespace bpfjit
