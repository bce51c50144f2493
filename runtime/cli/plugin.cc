// bpfjit-conformance-plugin: the conformance suite's plugin protocol.
//
//   bpfjit-conformance-plugin ["MEMHEX"] [--engine auto|interp|jit]
// The program comes on stdin as hex bytes (spaces optional); MEMHEX, when given, is the
// input memory in the same format. Prints r0 in hex (0x...) and exits 0, or prints the
// refusal or the trap on stderr and exits 1.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <iterator>
#include <string>

#include "runtime/cli/program_io.h"
#include "runtime/isa/decode.h"

namespace {

constexpr const char* kName = "bpfjit-conformance-plugin";

}  // namespace

int main(int argc, char** argv) {
  using namespace bpfjit;
  CLI::App app{"runs one eBPF program for the conformance suite's runner: program hex on "
               "stdin, r0 in hex on stdout",
               kName};
  std::string memhex;
  std::string engine = "auto";
  app.add_option("memhex", memhex, "input memory as hex bytes (spaces optional)");
  app.add_option("--engine", engine, "auto, interp or jit")
      ->check(CLI::IsMember({"auto", "interp", "jit"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto kind = parse_engine_kind(engine);
  if (!kind) {
    cli::print_error(kName, kind.error());
    return 2;
  }
  auto mem = cli::parse_hex(memhex);
  if (!mem) {
    cli::print_error(kName, mem.error());
    return 1;
  }
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  auto bytes = cli::parse_hex(input);
  if (!bytes) {
    cli::print_error(kName, bytes.error());
    return 1;
  }
  auto insns = decode_bytes(*bytes);
  if (!insns) {
    cli::print_error(kName, insns.error());
    return 1;
  }
  cli::RunOptions opts;
  opts.checked = true;  // the suite tests the engines, not the verifier
  opts.engine = *kind;
  auto r0 = cli::run_once(std::move(*insns), *mem, opts);
  if (!r0) {
    cli::print_error(kName, r0.error());
    return 1;
  }
  fmt::print("0x{:x}\n", *r0);
  return 0;
}
