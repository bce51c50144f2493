// bpfjit asm FILE.s [-o FILE.bin]: assembler text to raw bytes.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "runtime/cli/commands.h"
#include "runtime/cli/program_io.h"
#include "runtime/isa/asm.h"

namespace bpfjit::cli {

namespace {

struct AsmOptions {
  std::string input;
  std::string output;
};

int run_asm(const AsmOptions& o) {
  auto text = read_file(o.input);
  if (!text) {
    print_error(kToolName, text.error());
    return 1;
  }
  auto insns = assemble(std::string_view(reinterpret_cast<const char*>(text->data()),
                                         text->size()));
  if (!insns) {
    print_error(kToolName, insns.error());
    return 1;
  }
  std::filesystem::path out = o.output;
  if (out.empty()) out = std::filesystem::path(o.input).replace_extension(".bin");
  if (auto w = write_file(out, to_bytes(*insns)); !w) {
    print_error(kToolName, w.error());
    return 1;
  }
  return 0;
}

}  // namespace

Command add_asm_command(CLI::App& parent) {
  auto o = std::make_shared<AsmOptions>();
  CLI::App* app = parent.add_subcommand(
      "asm", "assemble eBPF assembler text (the conformance suite's syntax) to raw bytes");
  app->add_option("file", o->input, "assembler text to read")->required()
      ->check(CLI::ExistingFile);
  app->add_option("-o,--output", o->output,
                  "raw program to write, 8 bytes per slot (default: FILE with .bin)");
  return Command{app, [o] { return run_asm(*o); }};
}

}  // namespace bpfjit::cli
