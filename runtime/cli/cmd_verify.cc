// bpfjit verify FILE: runs the verifier on every program of an ELF object, or on a raw
// program / assembler text (these have no maps, so only mem and ctx programs). Exit code 0
// only when every program is accepted.
//
//   --type T          program type (raw/asm: default mem; objects: instead of the section's)
//   --program NAME    only this program of an object
//   --log             the verifier's log: the state before every processed instruction
//   --platform P      runtime (default) or linux: the kernel's program types and helpers,
//                     to check kernel objects offline
//   --mem-size N      the mem type's buffer size (programs that index it need it)
//   --btf FILE        target BTF for CO-RE relocations (linux: /sys/kernel/btf/vmlinux
//                     by default, when it exists)
//   --kconfig FILE    values of .kconfig externs (linux: LINUX_KERNEL_VERSION from uname)
#include <fmt/format.h>

#include <memory>
#include <optional>
#include <string>

#include "helpers/helper_table.h"
#include "runtime/cli/cmd_object.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/program_io.h"
#include "runtime/cli/verify_object.h"
#include "verifier/verifier.h"

namespace bpfjit::cli {

namespace {

struct VerifyCliOptions {
  std::string input;
  std::string type;
  std::string program;
  bool log = false;
  std::string platform = "runtime";
  std::optional<uint64_t> mem_size;
  BtfCliOptions btf;
};

// Prints one program's verdict; true when accepted.
bool report(const std::string& name, const std::string& what,
            const verifier::VerifyResult& r, bool log) {
  if (log) fmt::print("{}", r.log);
  const auto& s = r.stats;
  if (r.accepted) {
    fmt::print("{}{}: accepted ({} insns processed, {} states, stack {} bytes, {} us)\n", name,
               what, s.insns_processed, s.states_stored, s.max_stack_depth, s.time.count());
    return true;
  }
  fmt::print("{}{}: rejected\n", name, what);
  for (const Diagnostic& d : r.diagnostics) fmt::print("  {}\n", d.to_string());
  return false;
}

bool is_elf(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' &&
         bytes[3] == 'F';
}

int verify_raw(const VerifyCliOptions& o, const verifier::Platform& platform) {
  auto insns = load_program(o.input);
  if (!insns) {
    print_error(kToolName, insns.error());
    return 2;
  }
  std::string type_name = o.type.empty() ? "mem" : o.type;
  const ProgramType* type = platform.find_type(type_name);
  if (!type) {
    fmt::print(stderr, "{}: platform {} has no program type '{}'\n", kToolName, platform.name,
               type_name);
    return 2;
  }
  verifier::VerifyOptions vo;
  vo.log = o.log;
  verifier::VerifyInput in{*insns, {}, {}, *type, {}, o.mem_size, platform};
  return report(o.input, fmt::format(" ({})", type->name), verifier::verify(in, vo), o.log) ? 0
                                                                                           : 1;
}

int verify_object(const VerifyCliOptions& o, const std::vector<uint8_t>& bytes,
                  const verifier::Platform& platform) {
  const bool linux = platform.name == "linux";
  HelperTable helpers = HelperTable::builtin();
  LoadOptions lo;
  lo.helpers = linux ? nullptr : &helpers;
  lo.type_override = o.type;
  if (linux) {
    // Loaded as mem, the loader leaves context accesses at the kernel's offsets (and the
    // helper ids unchecked): the kernel's program types check them.
    lo.type_override = "mem";
  }
  auto btf = btf_settings(o.btf, linux);
  if (!btf) {
    print_error(kToolName, btf.error());
    return 2;
  }
  lo.target_btf = btf->target_btf;
  lo.kconfig = btf->kconfig;
  auto obj = load_object(bytes, lo);
  if (!obj) {
    print_error(kToolName, obj.error());
    return 2;
  }
  verifier::VerifyOptions vo;
  vo.log = o.log;
  bool all = true;
  size_t verified = 0;
  for (const LoadedProgram& p : obj->programs) {
    if (!o.program.empty() && p.name != o.program) continue;
    ++verified;
    if (p.load_error) {  // the loader refused this program alone
      fmt::print("{} ({}): rejected\n  {}\n", p.name, p.section, p.load_error->to_string());
      all = false;
      continue;
    }
    if (!linux) {
      ProgramType view = verifier::runtime_ctx_view(*p.type);
      auto r = verify_loaded_program(*obj, p, view, platform, o.mem_size, vo);
      all &= report(p.name, fmt::format(" ({}, {})", p.section, p.type->name), r, o.log);
      continue;
    }
    const ProgramType* t = o.type.empty() ? platform.type_for_section(p.section)
                                          : platform.find_type(o.type);
    if (!t) {
      fmt::print("{} ({}): rejected\n  unsupported: no linux program type for this section "
                 "(give --type)\n",
                 p.name, p.section);
      all = false;
      continue;
    }
    auto r = verify_loaded_program(*obj, p, *t, platform, o.mem_size, vo);
    all &= report(p.name, fmt::format(" ({}, {})", p.section, t->name), r, o.log);
  }
  if (!o.program.empty() && verified == 0) {
    fmt::print(stderr, "{}: the object has no program '{}'\n", kToolName, o.program);
    return 2;
  }
  return all ? 0 : 1;
}

int run_verify(const VerifyCliOptions& o) {
  const verifier::Platform* platform = verifier::find_platform(o.platform);
  if (!platform) {
    fmt::print(stderr, "{}: unknown platform '{}' (runtime or linux)\n", kToolName, o.platform);
    return 2;
  }
  auto bytes = read_file(o.input);
  if (!bytes) {
    print_error(kToolName, bytes.error());
    return 2;
  }
  if (is_elf(*bytes)) return verify_object(o, *bytes, *platform);
  return verify_raw(o, *platform);
}

}  // namespace

Command add_verify_command(CLI::App& parent) {
  auto o = std::make_shared<VerifyCliOptions>();
  CLI::App* app = parent.add_subcommand(
      "verify", "verify the programs of an ELF object, a raw program or assembler text; exit "
                "0 only when every program is accepted");
  app->add_option("file", o->input, "ELF object, raw program (.bin) or assembler text")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--type", o->type, "program type (raw/asm: default mem; objects: instead of "
                                     "the one the section implies)");
  app->add_option("--program", o->program, "only this program of an object");
  app->add_flag("--log", o->log, "print the verifier's log (states per instruction)");
  app->add_option("--platform", o->platform, "runtime (default) or linux")
      ->check(CLI::IsMember({"runtime", "linux"}));
  app->add_option("--mem-size", o->mem_size, "the mem type's buffer size in bytes");
  add_btf_options(app, o->btf);
  return Command{app, [o] { return run_verify(*o); }};
}

}  // namespace bpfjit::cli
