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
//   --json            print the verdicts as a JSON array (see kJsonHelp)
//
// One line per program: name, section, program type, verdict, instructions processed,
// time; each reason of a rejection on its own indented line. A raw program is named by
// its file and has section "-". A program the loader refused alone is rejected with
// "load error: ...". An object that cannot be loaded at all is an error (exit code 2).
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  bool json = false;
};

bool is_elf(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' &&
         bytes[3] == 'F';
}


// One line per program (name, section, type, verdict, instructions processed, time), the
// reasons of a rejection indented below it.
void print_verdicts_text(const std::vector<ProgramVerdict>& verdicts, bool log) {
  size_t name_w = 0, section_w = 0, type_w = 0;
  for (const ProgramVerdict& v : verdicts) {
    name_w = std::max(name_w, v.name.size());
    section_w = std::max(section_w, v.section.size());
    type_w = std::max(type_w, v.type.empty() ? size_t{1} : v.type.size());
  }
  for (const ProgramVerdict& v : verdicts) {
    if (log) fmt::print("{}", v.log);
    fmt::print("{:<{}}  section {:<{}}  type {:<{}}  {}  insns {}  time {} us\n", v.name,
               name_w, v.section, section_w, v.type.empty() ? "-" : v.type, type_w,
               v.accepted ? "accepted" : "rejected", v.insns_processed, v.time.count());
    for (const Diagnostic& d : v.diagnostics) {
      fmt::print("  {}{}\n", v.load_failed ? "load error: " : "", d.to_string());
    }
  }
}

// A JSON array with one object per program.
void print_verdicts_json(const std::vector<ProgramVerdict>& verdicts, bool log) {
  fmt::print("[");
  for (size_t i = 0; i < verdicts.size(); ++i) {
    const ProgramVerdict& v = verdicts[i];
    std::string reasons;
    for (size_t d = 0; d < v.diagnostics.size(); ++d) {
      const Diagnostic& diag = v.diagnostics[d];
      reasons += fmt::format("{}{{\"insn\": {}, \"message\": \"{}\"}}", d ? ", " : "",
                             diag.insn == kNoInsn ? "null" : std::to_string(diag.insn),
                             json_escape(diag.message));
    }
    fmt::print("{}\n  {{\"name\": \"{}\", \"section\": \"{}\", \"type\": {}, "
               "\"verdict\": \"{}\", \"load_error\": {}, \"insns_processed\": {}, "
               "\"time_us\": {}, \"reasons\": [{}]",
               i ? "," : "", json_escape(v.name), json_escape(v.section),
               v.type.empty() ? "null" : "\"" + json_escape(v.type) + "\"",
               v.accepted ? "accepted" : "rejected", v.load_failed ? "true" : "false",
               v.insns_processed, v.time.count(), reasons);
    if (log) fmt::print(", \"log\": \"{}\"", json_escape(v.log));
    fmt::print("}}");
  }
  fmt::print("{}]\n", verdicts.empty() ? "" : "\n");
}

// Prints the verdicts in the chosen format; the exit code: 0 when all were accepted.
int print_verdicts(const std::vector<ProgramVerdict>& verdicts, const VerifyCliOptions& o) {
  if (o.json) {
    print_verdicts_json(verdicts, o.log);
  } else {
    print_verdicts_text(verdicts, o.log);
  }
  bool all = true;
  for (const ProgramVerdict& v : verdicts) all &= v.accepted;
  return all ? 0 : 1;
}

// A raw program or assembler text: one program, named by its file, with no section.
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
  verifier::VerifyResult r = verifier::verify(in, vo);
  ProgramVerdict v;
  v.name = o.input;
  v.section = "-";
  v.type = type->name;
  v.accepted = r.accepted;
  v.insns_processed = r.stats.insns_processed;
  v.time = r.stats.time;
  v.diagnostics = std::move(r.diagnostics);
  v.log = std::move(r.log);
  return print_verdicts({v}, o);
}

int verify_object(const VerifyCliOptions& o, const std::vector<uint8_t>& bytes,
                  const verifier::Platform& platform) {
  ObjectVerifyOptions vo;
  vo.type = o.type;
  vo.program = o.program;
  vo.log = o.log;
  vo.mem_size = o.mem_size;
  auto btf = btf_settings(o.btf, platform.name == "linux");
  if (!btf) {
    print_error(kToolName, btf.error());
    return 2;
  }
  vo.load.target_btf = btf->target_btf;
  vo.load.kconfig = btf->kconfig;
  auto verdicts = verify_object_programs(bytes, platform, vo);
  if (!verdicts) {
    print_error(kToolName, verdicts.error());
    return 2;
  }
  if (!o.program.empty() && verdicts->empty()) {
    fmt::print(stderr, "{}: the object has no program '{}'\n", kToolName, o.program);
    return 2;
  }
  return print_verdicts(*verdicts, o);
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

constexpr const char* kJsonHelp =
    "print a JSON array with one object per program: name, section, type (null "
    "when the platform has none for the section), verdict (\"accepted\" or \"rejected\"), "
    "load_error (true when the loader refused the program), insns_processed, time_us, "
    "reasons (a list of {insn, message}; insn is null when none is named) and, with --log, "
    "log";

Command add_verify_command(CLI::App& parent) {
  auto o = std::make_shared<VerifyCliOptions>();
  CLI::App* app = parent.add_subcommand(
      "verify", "verify the programs of an ELF object, a raw program or assembler text: one "
                "line per program (name, section, type, verdict, instructions processed, time), "
                "the reasons of a rejection indented below; exit 0 only when every program is "
                "accepted");
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
  app->add_flag("--json", o->json, kJsonHelp);
  return Command{app, [o] { return run_verify(*o); }};
}

}  // namespace bpfjit::cli
