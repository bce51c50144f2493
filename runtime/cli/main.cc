// bpfjit: the command-line tool. Parses the command line and hands over to one subcommand.
#include <CLI/CLI.hpp>

#include <cstring>
#include <vector>

#include "runtime/cli/commands.h"

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "unknown"
#endif

namespace {

struct NamedCommand {
  const char* name;  // the name its add function gives the subcommand
  bpfjit::cli::AddCommand add;
};

// Every subcommand, in --help order.
constexpr NamedCommand kCommands[] = {
    {"asm", bpfjit::cli::add_asm_command},
    {"disasm", bpfjit::cli::add_disasm_command},
    {"run", bpfjit::cli::add_run_command},
    {"jit-dump", bpfjit::cli::add_jit_dump_command},
    {"inspect", bpfjit::cli::add_inspect_command},
    {"verify", bpfjit::cli::add_verify_command},
#ifdef BPFJIT_HAVE_BENCH
    {"bench", bpfjit::cli::add_bench_command},
#endif
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bpfjit: a userspace eBPF runtime for x86-64 (interpreter and JIT)",
               bpfjit::cli::kToolName};
  app.set_version_flag("--version", std::string("bpfjit ") + PROJECT_VERSION,
                       "print the version and exit");
  app.require_subcommand(1);
  // Start-up time: when the first argument names a subcommand, only that one is built (a
  // subcommand's options cost more to set up than a small program costs to run); anything
  // else (--help, --version, a typo) gets them all, for the full help and error messages.
  const NamedCommand* only = nullptr;
  for (const NamedCommand& c : kCommands) {
    if (argc > 1 && std::strcmp(argv[1], c.name) == 0) only = &c;
  }
  std::vector<bpfjit::cli::Command> commands;
  for (const NamedCommand& c : kCommands) {
    if (only == nullptr || only == &c) commands.push_back(c.add(app));
  }
  CLI11_PARSE(app, argc, argv);
  for (const auto& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return 1;
}
