// Decoding and validation of raw eBPF bytecode: the only place that reads encodings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// The largest program decode() accepts, in slots (the kernel's limit for privileged users).
inline constexpr size_t kMaxProgramSlots = 1'000'000;

struct DecodeOptions {
  // Refuse instructions newer than this -mcpu level (1..4).
  uint8_t max_cpu = 4;
  // Accept the legacy packet loads (LD ABS/IND). Only some program types may run them.
  bool allow_packet_loads = true;
  // Accept lddw with src 1..6 (map references, code addresses). An object loader resolves
  // them before a program runs; raw programs from a user usually may not hold them.
  bool allow_pseudo_lddw = true;
  // Accept writes to r10, for a verifier that refuses them where they are reachable, as
  // the kernel's does. Engines never run such programs.
  bool allow_r10_writes = false;
};

// Decodes and validates a whole program. Refuses, naming the instruction index and the
// fact: unknown opcodes, fields that must be zero and are not, registers above r10, writes
// to r10, jumps and local calls outside the program or into the second slot of an lddw,
// a truncated lddw, and code that can run past the last instruction.
Result<std::vector<Insn>> decode(std::span<const RawInsn> raw, const DecodeOptions& opts = {});

// The same from bytes; refuses a length that is not a multiple of 8.
Result<std::vector<Insn>> decode_bytes(std::span<const uint8_t> bytes,
                                       const DecodeOptions& opts = {});

// Validates an already decoded program (as produced by an assembler or after relocation):
// the same structural checks as decode(), on Insn values.
Result<void> validate(const std::vector<Insn>& insns, const DecodeOptions& opts = {});

// True when the instruction writes register `reg` (dst of ALU ops and loads, src of fetch
// atomics, r0 for cmpxchg and calls).
bool writes_register(const Insn& insn, uint8_t reg);

}  // namespace bpfjit
