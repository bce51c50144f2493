// bpfjit: the command-line tool. Parses the command line and hands over to one subcommand.
#include <CLI/CLI.hpp>

#include <vector>

#include "runtime/cli/commands.h"

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "unknown"
#endif

namespace {

// Every subcommand, in --help order.
constexpr bpfjit::cli::AddCommand kCommands[] = {
    bpfjit::cli::add_asm_command,
    bpfjit::cli::add_disasm_command,
    bpfjit::cli::add_run_command,
    bpfjit::cli::add_jit_dump_command,
    bpfjit::cli::add_inspect_command,
    bpfjit::cli::add_verify_command,
#ifdef BPFJIT_HAVE_BENCH
    bpfjit::cli::add_bench_command,
#endif
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bpfjit: a userspace eBPF runtime for x86-64 (interpreter and JIT)",
               bpfjit::cli::kToolName};
  app.set_version_flag("--version", std::string("bpfjit ") + PROJECT_VERSION,
                       "print the version and exit");
  app.require_subcommand(1);
  std::vector<bpfjit::cli::Command> commands;
  for (auto add : kCommands) commands.push_back(add(app));
  CLI11_PARSE(app, argc, argv);
  for (const auto& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return 1;
}
