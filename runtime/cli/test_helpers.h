// The helper table the conformance suite expects: helper 5 returns its r1 (uBPF's
// "unwind" test helper). The CLI's `run` and the conformance plugin both run with it.
#pragma once

#include <cstdint>
#include <span>

#include "runtime/isa/machine.h"

namespace bpfjit {

// The id of the one helper the suite's programs call.
inline constexpr uint32_t kConformanceHelperId = 5;

// Indexed by helper id; ids other than 5 are absent (null).
std::span<const HelperFn> conformance_helpers();

}  // namespace bpfjit
