// Verifying every program of an ELF object, as `bpfjit verify OBJ` and the compat test do.
// The runtime platform verifies the loader's rewritten programs through the runtime's
// context view; the linux platform loads the object as `mem` (context accesses stay at the
// kernel's offsets, helper ids unchecked) and verifies each program against the kernel
// program type its section implies.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "runtime/isa/result.h"
#include "runtime/loader/loader.h"
#include "runtime/verify_loaded.h"
#include "verifier/platform.h"

namespace bpfjit::cli {

using bpfjit::verify_loaded_program;

// One program's verdict.
struct ProgramVerdict {
  std::string name;     // the function symbol, or the section for code with no symbol
  std::string section;  // the ELF section
  std::string type;     // the program type verified against; empty when there is none
  bool accepted = false;
  bool load_failed = false;  // the loader refused this program (no verifier run)
  uint64_t insns_processed = 0;
  std::chrono::microseconds time{0};
  std::vector<Diagnostic> diagnostics;  // why it was rejected; [0] is the main reason
  std::string log;                      // the verifier's log when asked for
};

struct ObjectVerifyOptions {
  // The loader's settings (target BTF, kconfig values, limits, ...). Its helpers and
  // type_override are replaced: they follow from the platform and `type`.
  LoadOptions load;
  std::string type;     // verify every program as this type instead of its section's
  std::string program;  // only this program (by name); empty: every program
  bool log = false;     // keep the verifier's log in each verdict
  std::optional<uint64_t> mem_size;
};

// Loads `bytes` and verifies its programs on `platform`. An error only when the object as
// a whole cannot be loaded; a program the loader refused alone is a rejected verdict with
// the loader's diagnostic.
Result<std::vector<ProgramVerdict>> verify_object_programs(std::span<const uint8_t> bytes,
                                                           const verifier::Platform& platform,
                                                           const ObjectVerifyOptions& opts);

}  // namespace bpfjit::cli
