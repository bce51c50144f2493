// Runs the soundness oracle over many generated programs and counts, per family, how many
// were generated, accepted, run and trapped. Shared by the ctest test and the long mode
// (bpfjit-soundness).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "test/soundness/gen.h"

namespace bpfjit::soundness {

struct FamilyStats {
  uint64_t generated = 0;
  uint64_t invalid = 0;       // did not assemble (a mutation that broke the text)
  uint64_t accepted = 0;
  uint64_t not_runnable = 0;  // accepted but not runnable by the runtime (linux-only helper)
  uint64_t ran = 0;           // accepted and run in checked mode without a fault
  uint64_t runs = 0;          // checked runs
  uint64_t trapped = 0;
};

struct SweepOptions {
  uint64_t programs = 1000;
  uint64_t seed = 1;
  uint32_t threads = 1;
  double seconds = 0;         // stop after this long when > 0
  std::string family;         // empty: every family
  GenOptions gen;
  OracleOptions oracle;
  uint32_t max_reports = 5;   // trap reports kept
};

struct SweepResult {
  std::map<std::string, FamilyStats> families;
  FamilyStats total;
  std::vector<std::string> reports;  // the first traps: program, input, fault
  std::map<std::string, uint64_t> reasons;  // "family: rejection phrase" -> count
  std::map<std::string, std::string> examples;  // the same key -> the first whole note
  double seconds = 0;
};

SweepResult sweep(const SweepOptions& opts);

// One line per family and a total: generated, accepted (rate), runs, trapped.
std::string format_stats(const SweepResult& r);
// The most frequent rejection reasons per family, `top` of each.
std::string format_reasons(const SweepResult& r, size_t top = 5);

}  // namespace bpfjit::soundness
