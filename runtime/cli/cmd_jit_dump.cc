// bpfjit jit-dump FILE [--trusted] [--harden]: the x86-64 code the JIT makes for a program, each eBPF
// instruction as a comment above the native instructions it became.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "jit/jit.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/program_io.h"
#include "runtime/cli/test_helpers.h"

namespace bpfjit::cli {

namespace {

struct JitDumpCmdOptions {
  std::string input;
  bool trusted = false;
  bool harden = false;
};

int run_jit_dump(const JitDumpCmdOptions& o) {
  auto insns = load_program(o.input);
  if (!insns) {
    print_error(kToolName, insns.error());
    return 1;
  }
  JitOptions jo;
  jo.checked = !o.trusted;
  jo.harden = o.harden;
  jo.helpers = conformance_helpers();
  auto text = jit_dump(*insns, jo);
  if (!text) {
    print_error(kToolName, text.error());
    return 1;
  }
  fmt::print("{}", *text);
  return 0;
}

}  // namespace

Command add_jit_dump_command(CLI::App& parent) {
  auto o = std::make_shared<JitDumpCmdOptions>();
  CLI::App* app = parent.add_subcommand(
      "jit-dump", "print the x86-64 code the JIT makes for a program, each eBPF instruction "
                  "above its native instructions");
  app->add_option("file", o->input, "the program: raw bytes (8 per slot) or assembler text")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_flag("--trusted", o->trusted,
                "the code of trusted mode (no memory checks) instead of checked mode");
  app->add_flag("--harden", o->harden,
                "the code with constant blinding: each immediate of the program appears xor "
                "a random key, combined at run time");
  return Command{app, [o] { return run_jit_dump(*o); }};
}

}  // namespace bpfjit::cli
