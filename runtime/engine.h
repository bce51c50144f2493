// Choosing the engine that runs a decoded program: the JIT when it can take the program,
// the interpreter otherwise (or when the caller forces one).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bpfjit/types.h"
#include "jit/jit.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// Parses "auto", "interp", "jit".
Result<EngineKind> parse_engine_kind(const std::string& name);
const char* engine_kind_name(EngineKind kind);

struct EngineOptions {
  EngineKind kind = EngineKind::kAuto;
  // JIT only: emit no runtime memory checks. Only for programs the verifier has proven safe.
  bool trusted = false;
  // The helper table the program will be run with; the JIT calls these addresses directly,
  // so RunContext::helpers must be the same table at run time.
  std::span<const HelperFn> helpers;
  // Name used in logs and in perf's /tmp/perf-PID.map.
  std::string name = "prog";
  // Write a /tmp/perf-PID.map line for the jitted code.
  bool perf_map = false;
  // JIT only: constant blinding (jit.h), no immediate of the program verbatim in code.
  bool harden = false;
  // For tests: the JIT behaves as if the host lacked a CPU feature it needs.
  bool simulate_missing_cpu_feature = false;
  // JIT only, with trusted: the verifier's per-slot facts (verifier.h kFlag*), which let
  // the JIT drop checks the verifier discharged (e.g. a divisor proven non-zero).
  std::vector<uint8_t> insn_flags;
  // JIT only, with trusted: the lookups of array maps to do in place (jit.h JitArrayLookup),
  // from the verifier's lookup_maps.
  std::vector<JitArrayLookup> array_lookups;
};

// Makes a decoded, validated program ready to run.
Result<std::unique_ptr<Executable>> prepare_engine(std::vector<Insn> insns,
                                                   const EngineOptions& opts);

}  // namespace bpfjit
