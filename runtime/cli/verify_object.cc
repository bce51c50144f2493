#include "runtime/cli/verify_object.h"

#include <fmt/format.h>

#include "helpers/helper_table.h"
#include "runtime/loader/loader.h"

namespace bpfjit::cli {

namespace {

// The loader's refusal of one program of an otherwise loaded object, where the loader
// reports such refusals per program (LoadedProgram::load_error); none otherwise.
template <typename Prog>
std::optional<Diagnostic> program_load_error(const Prog& p) {
  if constexpr (requires { p.load_error; }) {
    return p.load_error;
  } else {
    return std::nullopt;
  }
}

ProgramVerdict verdict_of(const LoadedProgram& p, const std::string& type,
                          const verifier::VerifyResult& r) {
  ProgramVerdict v;
  v.name = p.name;
  v.section = p.section;
  v.type = type;
  v.accepted = r.accepted;
  v.insns_processed = r.stats.insns_processed;
  v.time = r.stats.time;
  v.diagnostics = r.diagnostics;
  v.log = r.log;
  return v;
}

}  // namespace

Result<std::vector<ProgramVerdict>> verify_object_programs(std::span<const uint8_t> bytes,
                                                           const verifier::Platform& platform,
                                                           const ObjectVerifyOptions& opts) {
  const bool linux = platform.name == "linux";
  HelperTable helpers = HelperTable::builtin();
  LoadOptions lo = opts.load;
  lo.helpers = linux ? nullptr : &helpers;
  lo.type_override = opts.type;
  // Loaded as mem, the loader leaves context accesses at the kernel's offsets (and the
  // helper ids unchecked): the kernel's program types check them.
  if (linux) {
    lo.type_override = "mem";
    lo.kernel_decode = true;
  }
  auto obj = load_object(bytes, lo);
  if (!obj) return obj.error();

  verifier::VerifyOptions vo;
  vo.log = opts.log;
  std::vector<ProgramVerdict> verdicts;
  for (const LoadedProgram& p : obj->programs) {
    if (!opts.program.empty() && p.name != opts.program) continue;
    // runtime: the loader's type; linux: the kernel type the section implies (or --type)
    const ProgramType* t = nullptr;
    if (!linux) {
      t = p.type;
    } else {
      t = opts.type.empty() ? platform.type_for_section(p.section) : platform.find_type(opts.type);
    }
    if (auto err = program_load_error(p)) {
      ProgramVerdict v;
      v.name = p.name;
      v.section = p.section;
      v.type = t ? t->name : "";
      v.load_failed = true;
      v.diagnostics.push_back(*err);
      verdicts.push_back(std::move(v));
      continue;
    }
    if (!t) {
      ProgramVerdict v;
      v.name = p.name;
      v.section = p.section;
      v.diagnostics.push_back(
          {ErrorCode::kUnsupported, kNoInsn,
           opts.type.empty()
               ? fmt::format("no {} program type for section '{}' (give --type)",
                             platform.name, p.section)
               : fmt::format("no {} program type '{}'", platform.name, opts.type)});
      verdicts.push_back(std::move(v));
      continue;
    }
    if (!linux) {
      ProgramType view = verifier::runtime_ctx_view(*t);
      auto r = verify_loaded_program(*obj, p, view, platform, opts.mem_size, vo);
      verdicts.push_back(verdict_of(p, t->name, r));
      continue;
    }
    auto r = verify_loaded_program(*obj, p, *t, platform, opts.mem_size, vo);
    verdicts.push_back(verdict_of(p, t->name, r));
  }
  return verdicts;
}

}  // namespace bpfjit::cli
