// The subcommands of the `bpfjit` tool. Each lives in its own file (cmd_NAME.cc) and has
// one add function, listed in main.cc's kCommands; adding a subcommand touches nothing else.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace bpfjit::cli {

// The program name used in error messages.
inline constexpr const char* kToolName = "bpfjit";

// A subcommand added to the top-level app. run() is called when it was chosen on the
// command line and returns the process's exit code.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
};

using AddCommand = Command (*)(CLI::App& parent);

Command add_asm_command(CLI::App& parent);     // cmd_asm.cc
Command add_disasm_command(CLI::App& parent);  // cmd_disasm.cc
Command add_run_command(CLI::App& parent);     // cmd_run.cc
Command add_jit_dump_command(CLI::App& parent);  // cmd_jit_dump.cc
Command add_inspect_command(CLI::App& parent); // cmd_inspect.cc
Command add_verify_command(CLI::App& parent);  // cmd_verify.cc
#ifdef BPFJIT_HAVE_BENCH
Command add_bench_command(CLI::App& parent);   // cmd_bench.cc (bench/harness.cmake adds it)
#endif

}  // namespace bpfjit::cli
