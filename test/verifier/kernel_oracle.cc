// bpfjit-kernel-oracle: runs verifier catalogue cases through the kernel's verifier.
//
//   bpfjit-kernel-oracle [--case NAME] [--log-lines N] [--all] FILE...
//
// For each case it prints the expectation, the kernel's verdict and the last lines of the
// kernel's log. A case "agrees" when the kernel accepts what we accept and rejects what we
// reject; a case whose note says "stricter than the kernel" is expected to be accepted by
// the kernel. Only disagreements are printed unless --all is given.
// Exit status: 0 when every case agrees, 1 when some do not, 2 when a case cannot be tried
// or bpf() is unavailable.
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "test/verifier/kernel_oracle.h"

namespace {

using bpfjit::oracle::CatalogueCase;

int usage() {
  fmt::print(stderr, "usage: bpfjit-kernel-oracle [--case NAME] [--log-lines N] [--all] FILE...\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  size_t log_lines = 4;
  bool all = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--case" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--log-lines" && i + 1 < argc) {
      log_lines = std::strtoul(argv[++i], nullptr, 10);
    } else if (a == "--all") {
      all = true;
    } else if (a.starts_with("--")) {
      return usage();
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) return usage();
  if (auto r = bpfjit::oracle::kernel_available(); !r) {
    fmt::print(stderr, "{}\n", r.error().to_string());
    return 2;
  }

  int status = 0;
  size_t total = 0, agree = 0, stricter = 0, other_insn = 0;
  for (const std::string& file : files) {
    auto cases = bpfjit::oracle::read_catalogue(file);
    if (!cases) {
      fmt::print(stderr, "{}\n", cases.error().to_string());
      return 2;
    }
    for (const CatalogueCase& c : *cases) {
      if (!only.empty() && c.name != only) continue;
      ++total;
      auto v = bpfjit::oracle::run_in_kernel(c);
      if (!v) {
        fmt::print("{}:{} {}: cannot run: {}\n", c.file, c.line, c.name, v.error().to_string());
        status = 2;
        continue;
      }
      bool kernel_should_accept = c.expect_accept || c.stricter_than_kernel();
      bool ok = v->accepted == kernel_should_accept;
      if (ok) ++agree;
      if (c.stricter_than_kernel()) ++stricter;
      if (!ok && status == 0) status = 1;
      bool same_insn = v->accepted || c.expect_accept ||
                       v->last_insn() == static_cast<int64_t>(c.expect_insn);
      if (!same_insn) ++other_insn;
      if (ok && same_insn && !all) continue;
      std::string expect = c.expect_accept
                               ? std::string("accept")
                               : fmt::format("reject {} {}", c.expect_insn, c.expect_reason);
      fmt::print("{}:{} {}: {} | expect {}{} | kernel {}{}\n", c.file, c.line, c.name,
                 ok ? "AGREE" : "DISAGREE", expect,
                 c.stricter_than_kernel() ? " (stricter than the kernel)" : "",
                 v->accepted ? "accept" : "reject: ",
                 v->accepted ? "" : std::strerror(v->error));
      if (!same_insn) {
        fmt::print("  (the kernel stopped at insn {}, we expect {})\n", v->last_insn(),
                   c.expect_insn);
      }
      if (v->prologue_slots != 0) {
        fmt::print("  (mem wrapper: kernel insn = case insn + {})\n", v->prologue_slots);
      }
      std::string tail = v->log_tail(log_lines);
      size_t at = 0;
      while (at < tail.size()) {
        size_t nl = tail.find('\n', at);
        fmt::print("  | {}\n", tail.substr(at, nl - at));
        at = nl + 1;
      }
    }
  }
  fmt::print("{} cases, {} agree with the kernel ({} noted stricter than the kernel, {} "
             "rejected by the kernel at another insn)\n",
             total, agree, stricter, other_insn);
  return status;
}
