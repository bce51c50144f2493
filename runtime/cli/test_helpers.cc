#include "runtime/cli/test_helpers.h"

#include <array>

namespace bpfjit {

namespace {

uint64_t return_r1(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return r1;
}

constexpr std::array<HelperFn, kConformanceHelperId + 1> kTable = [] {
  std::array<HelperFn, kConformanceHelperId + 1> t{};
  t[kConformanceHelperId] = &return_r1;
  return t;
}();

}  // namespace

std::span<const HelperFn> conformance_helpers() { return kTable; }

}  // namespace bpfjit
