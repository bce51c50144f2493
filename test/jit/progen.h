// A random generator of valid, terminating eBPF programs for differential testing of the
// engines (interpreter vs JIT) and, later, of the verifier.
//
// Programs follow the conformance suite's convention: r1 = a writable input buffer of
// kProgenBufferSize bytes, r2 = its length, r10 = the stack. They exercise every opcode
// class: ALU at both widths with register and immediate sources (division and shifts with
// edge values), neg, movsx, byte order, lddw, loads/stores/atomics on the stack, the buffer
// and computed pointers, forward jumps (JMP and JMP32, ja and gotol), bounded loops,
// helper calls (call and callx into progen_helpers()), bpf-to-bpf calls and early exits.
// Every run terminates: jumps go forward, loops count down a register, calls form a DAG.
//
// Register discipline: r9 holds the buffer, r6 counts loops, r10 is the frame pointer; the
// other registers take random values. After a helper call, r1..r5 are set again at once
// (their contents are undefined after a call and differ between engines).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/machine.h"

namespace bpfjit::test {

inline constexpr uint32_t kProgenBufferSize = 64;

struct ProgenOptions {
  uint32_t max_items = 40;       // top-level items per function
  uint32_t max_subprograms = 3;  // bpf-to-bpf callees
  // Per mille of memory accesses at a random, possibly out-of-bounds offset (a trap). Zero
  // also leaves out the pointer-walking loops, which may leave the buffer.
  uint32_t wild_access_permille = 10;
  bool helpers = true;
};

std::vector<Insn> generate_program(uint64_t seed, const ProgenOptions& opts = {});

// The helper table the generated programs call (ids 1..3; pure functions of r1..r5).
std::span<const HelperFn> progen_helpers();

}  // namespace bpfjit::test
