// The disassembler: decoded instructions back to the assembler syntax of asm.h.
//
// The output re-assembles to the same instructions: assemble(disassemble_program(p)) == p
// for every valid program p, and every Op of opcodes.def has a printed form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/isa/isa.h"

namespace bpfjit {

// One instruction at slot `pc`, without a newline. Jump and call targets are printed as
// relative slot counts (+N/-N). The second slot of an lddw prints as "".
std::string disassemble(const Insn& insn, uint32_t pc);

struct DisasmOptions {
  // Name jump and local-call targets `L<slot>` and print a label line `L<slot>:` before
  // each target, instead of +N/-N offsets.
  bool labels = false;
  // Prefix every instruction with its slot number ("   3: "). Such a listing is for
  // reading; the assembler does not take the prefixes back.
  bool slot_numbers = false;
};

// A whole program, one instruction per line (each ending in '\n'); lddw's second slot has
// no line of its own, but slot numbers and offsets count it.
std::string disassemble_program(const std::vector<Insn>& insns, const DisasmOptions& opts = {});

}  // namespace bpfjit
