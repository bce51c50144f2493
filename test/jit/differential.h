// Differential testing of the JIT against the interpreter: run one program on both with the
// same input, compare r0, the trap, the input buffer and the stack; shrink a mismatching
// program to a small reproducer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/isa/isa.h"

namespace bpfjit::test {

struct DiffOptions {
  bool trusted = false;  // compile the JIT in trusted mode (programs must stay in bounds)
  bool harden = false;   // compile the JIT with constant blinding
  uint64_t input_seed = 0;
};

// Runs the program on both engines. Returns a description of the first difference, or
// nothing when they agree. A program either engine refuses is reported too.
std::optional<std::string> diff_engines(const std::vector<Insn>& insns, const DiffOptions& opts);

// Makes a mismatching program smaller while it still mismatches: neutralises instructions
// (ja +0), then deletes the neutral ones.
std::vector<Insn> shrink_mismatch(std::vector<Insn> insns, const DiffOptions& opts);

// The program as assembler text, one instruction a line with slot numbers.
std::string program_text(const std::vector<Insn>& insns);

}  // namespace bpfjit::test
