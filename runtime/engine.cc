// Engine selection: which engine makes a decoded program ready to run.
#include "runtime/engine.h"

#include <fmt/format.h>

#include "helpers/log.h"
#include "jit/jit.h"
#include "runtime/interp/interpreter.h"

namespace bpfjit {

Result<EngineKind> parse_engine_kind(const std::string& name) {
  if (name == "auto") return EngineKind::kAuto;
  if (name == "interp" || name == "interpreter") return EngineKind::kInterpreter;
  if (name == "jit") return EngineKind::kJit;
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown engine '{}', expected auto, interp or jit", name));
}

const char* engine_kind_name(EngineKind kind) {
  switch (kind) {
    case EngineKind::kAuto: return "auto";
    case EngineKind::kInterpreter: return "interp";
    case EngineKind::kJit: return "jit";
  }
  return "?";
}

Result<std::unique_ptr<Executable>> prepare_engine(std::vector<Insn> insns,
                                                   const EngineOptions& opts) {
  JitOptions jit;
  jit.checked = !opts.trusted;
  jit.helpers = opts.helpers;
  jit.name = opts.name;
  jit.perf_map = opts.perf_map;
  jit.harden = opts.harden;
  jit.simulate_missing_cpu_feature = opts.simulate_missing_cpu_feature;
  if (opts.trusted) {
    jit.insn_flags = opts.insn_flags;
    jit.array_lookups = opts.array_lookups;
  }
  switch (opts.kind) {
    case EngineKind::kJit:
      return jit_compile(insns, jit);
    case EngineKind::kAuto: {
      auto exe = jit_compile(insns, jit);
      if (exe.ok()) return exe;
      logger().warn("{}: running on the interpreter, the jit refused it: {}", opts.name,
                   exe.error().to_string());
      return make_interpreter(std::move(insns));
    }
    case EngineKind::kInterpreter:
      return make_interpreter(std::move(insns));
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown engine kind");
}

}  // namespace bpfjit
