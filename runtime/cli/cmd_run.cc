// bpfjit run FILE [--mem FILE] [--engine E] [--budget N]: runs a program once and prints r0.
#include <fmt/format.h>

#include <memory>
#include <string>

#include "runtime/cli/cmd_object.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/program_io.h"

namespace bpfjit::cli {

namespace {

struct RunCmdOptions {
  std::string input;
  std::string mem;
  std::string engine = "auto";
  bool perf_map = false;
  uint64_t budget = UINT64_MAX;
  ObjectRunOptions object;  // ELF objects only (cmd_object.h)
};

int run_run(const RunCmdOptions& o) {
  auto kind = parse_engine_kind(o.engine);
  if (!kind) {
    print_error(kToolName, kind.error());
    return 2;
  }
  if (is_elf_file(o.input)) return run_object(o.input, o.mem, *kind, o.budget, o.object);
  auto insns = load_program(o.input);
  if (!insns) {
    print_error(kToolName, insns.error());
    return 1;
  }
  std::vector<uint8_t> mem;
  if (!o.mem.empty()) {
    auto bytes = read_file(o.mem);
    if (!bytes) {
      print_error(kToolName, bytes.error());
      return 1;
    }
    mem = std::move(*bytes);
  }
  RunOptions ropts;
  ropts.engine = *kind;
  ropts.budget = o.budget;
  ropts.perf_map = o.perf_map;
  ropts.checked = o.object.checked;
  ropts.harden = o.object.harden;
  auto r0 = run_once(std::move(*insns), mem, ropts);
  if (!r0) {
    print_error(kToolName, r0.error());
    return 1;
  }
  fmt::print("0x{:x}\n", *r0);
  return 0;
}

}  // namespace

Command add_run_command(CLI::App& parent) {
  auto o = std::make_shared<RunCmdOptions>();
  CLI::App* app = parent.add_subcommand(
      "run", "verify a program, run it once and print r0 (hex) on the last line; a raw or "
             "assembler program gets r1 = the --mem buffer, r2 = its length (0 and 0 "
             "without --mem), a 4 KiB stack and helper 5 (returns r1); an ELF object's "
             "program gets its maps, global data and program type's context");
  app->add_option("file", o->input,
                  "the program: an ELF object (clang -target bpf -c), raw bytes (.bin, 8 "
                  "per slot) or assembler text (.s, .asm, or any file that is text)")
      ->required()
      ->check(CLI::ExistingFile);
  app->add_option("--mem", o->mem, "file whose bytes are the program's writable input memory")
      ->check(CLI::ExistingFile);
  app->add_option("--engine", o->engine,
                  "auto (the JIT when it takes the program, else the interpreter), interp "
                  "or jit")
      ->check(CLI::IsMember({"auto", "interp", "jit"}))
      ->capture_default_str();
  app->add_flag("--checked", o->object.checked,
                "run without the verifier's proof: every memory access is checked at run "
                "time instead (by default a program runs only when the verifier accepts it)");
  app->add_flag("--harden", o->object.harden,
                "JIT: constant blinding, as the kernel's bpf_jit_harden (no immediate of the "
                "program verbatim in the code)");
  app->add_flag("--perf-map", o->perf_map,
                "JIT: append the code's address, size and name to /tmp/perf-PID.map for perf");
  app->add_option("--budget", o->budget,
                  "stop with a trap after this many instructions (interpreter) or back-edges "
                  "and calls (JIT); default: no limit");
  add_object_run_options(app, o->object);
  return Command{app, [o] { return run_run(*o); }};
}

}  // namespace bpfjit::cli
