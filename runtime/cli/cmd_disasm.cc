// bpfjit disasm FILE: a program as assembler text, one instruction per line.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "runtime/cli/commands.h"
#include "runtime/cli/program_io.h"
#include "runtime/isa/disasm.h"

namespace bpfjit::cli {

namespace {

struct DisasmCmdOptions {
  std::string input;
  bool labels = false;
  bool plain = false;
};

int run_disasm(const DisasmCmdOptions& o) {
  auto insns = load_program(o.input);
  if (!insns) {
    print_error(kToolName, insns.error());
    return 1;
  }
  DisasmOptions opts;
  opts.labels = o.labels;
  opts.slot_numbers = !o.plain;
  fmt::print("{}", disassemble_program(*insns, opts));
  return 0;
}

}  // namespace

Command add_disasm_command(CLI::App& parent) {
  auto o = std::make_shared<DisasmCmdOptions>();
  CLI::App* app = parent.add_subcommand(
      "disasm", "print a program (raw bytes, or assembler text) one instruction per line, "
                "each with its slot number");
  app->add_option("file", o->input, "the program: raw bytes (8 per slot) or assembler text")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_flag("--labels", o->labels,
                "name jump targets L<slot> instead of printing +N/-N offsets");
  app->add_flag("--plain", o->plain,
                "no slot numbers: the output assembles back to the same program");
  return Command{app, [o] { return run_disasm(*o); }};
}

}  // namespace bpfjit::cli
