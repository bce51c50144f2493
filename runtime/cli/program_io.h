// What the CLI and the conformance plugin share: reading programs from files or hex,
// and running a program once with an input buffer, the conformance helper table and a
// fresh stack.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/engine.h"
#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"

namespace bpfjit::cli {

Result<std::vector<uint8_t>> read_file(const std::filesystem::path& path);
Result<void> write_file(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);

// True when the bytes look like assembler text (printable ASCII and whitespace only).
bool looks_like_text(const std::vector<uint8_t>& bytes);

// Loads a program: assembler text for .s/.asm files or files that look like text,
// raw bytes (8 per slot) otherwise. Either way decoded and validated.
Result<std::vector<Insn>> load_program(const std::filesystem::path& path);

// Hex bytes, two digits each, any whitespace between them ("b7  00  01  " or "b70001").
Result<std::vector<uint8_t>> parse_hex(std::string_view text);

// The contents of a JSON string holding `s`: quotes and backslashes escaped, control
// characters as \n, \t or \u00XX.
std::string json_escape(std::string_view s);

// The raw bytes of decoded instructions.
std::vector<uint8_t> to_bytes(const std::vector<Insn>& insns);

struct RunOptions {
  EngineKind engine = EngineKind::kAuto;
  uint64_t budget = UINT64_MAX;
  bool perf_map = false;  // JIT: append the code to /tmp/perf-PID.map
  // Skip the verifier and check every access at run time (the conformance plugin's mode,
  // and `bpfjit run --checked`). Otherwise the program must verify as a mem program with
  // the buffer's size, and then runs trusted.
  bool checked = false;
  bool harden = false;  // JIT: constant blinding
};

// Runs the program once: r1/r2 = mem's address and length (0 and 0 when mem is empty),
// mem writable, a kStackSize stack, the conformance helpers. Returns r0, or the
// verifier's refusal (code kVerify), the trap (code kRuntime) or the engine's refusal.
Result<uint64_t> run_once(std::vector<Insn> insns, std::vector<uint8_t>& mem,
                          const RunOptions& opts);

// "bpfjit: decode error: insn 3: ..." on stderr.
void print_error(std::string_view prog, const Diagnostic& diag);

}  // namespace bpfjit::cli
