// ELF objects on the command line: `bpfjit run OBJ.o` (the run subcommand hands ELF files
// over to run_object()) and `bpfjit inspect OBJ.o` (cmd_inspect.cc).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "runtime/engine.h"

namespace bpfjit::cli {

// The run subcommand's options that only apply to ELF objects.
struct ObjectRunOptions {
  std::string program;  // function or section name; default: the object's first program
  std::string type;     // program type override: mem, xdp, socket_filter
  std::string packet;   // file whose bytes are the packet (xdp, socket_filter)
  uint64_t repeat = 1;  // runs; the last run's r0 is printed
  bool dump_maps = false;
  bool checked = false; // skip the verifier, check accesses at run time (--checked)
};

// Adds --program, --type, --packet, --repeat and --dump-maps to `run`.
void add_object_run_options(CLI::App* run, ObjectRunOptions& o);

// True when the file starts with the ELF magic.
bool is_elf_file(const std::string& path);

// Loads the object, runs one program on --mem or --packet and prints r0 as 0x... on the
// last line of stdout (maps before it with --dump-maps). Returns the exit code.
int run_object(const std::string& path, const std::string& mem, EngineKind engine,
               uint64_t budget, const ObjectRunOptions& o);

}  // namespace bpfjit::cli
