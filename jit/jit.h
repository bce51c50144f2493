// The x86-64 JIT: translates a decoded eBPF program into native code with asmjit.
//
// The generated code follows the kernel's register map (r0 rax, r1..r5 rdi rsi rdx rcx r8,
// r6 rbx, r7 r13, r8 r14, r9 r15, r10 rbp) so that helper calls need no shuffling; r12 holds
// the run's engine state (which points to the RunContext and keeps the stack bounds and the
// first region one load away for the inline memory checks), r9/r10/r11 are scratch. Every operation means exactly what
// runtime/isa/semantics.h says; the tests in test/jit compare the two.
//
// Two modes:
// - checked (the default): every load, store and atomic is checked against the run's
//   stack and regions as RunContext::accessible says; a violation stops the run with a
//   TrapKind::kMemory trap before memory is touched. Back-edges and calls count down
//   ctx.budget when it is not UINT64_MAX. Counted loops and straight runs of code may
//   check their accesses once, at their entry, and run an unchecked copy when all of them
//   are in bounds (jit/loops.h); the outcome of every run is the same.
// - trusted: no runtime memory checks, for programs the verifier proved safe.
//
// Code memory is mapped writable while it is filled and executable afterwards, never both.
// asmjit types stay inside jit/; this header exposes only bpfjit types.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "runtime/isa/isa.h"
#include "runtime/isa/machine.h"
#include "runtime/isa/result.h"

namespace bpfjit {

// Per-instruction facts a verifier has proven, that let the JIT leave out a check
// (JitOptions::insn_flags, indexed by slot).
enum JitInsnFlag : uint8_t {
  kSkipMemCheck = 1 << 0,        // the access is proven inside an allowed region
  kDivisorNonZero = 1 << 1,      // the divisor register is proven non-zero
  kDivisorNotMinusOne = 1 << 2,  // the signed divisor register is proven not -1
};

struct JitOptions {
  // Check every memory access at run time and count the budget (see above).
  bool checked = true;
  // The helper table: call imm jumps straight to helpers[imm]; the same table must be in
  // RunContext::helpers at run time (callx reads it from there).
  std::span<const HelperFn> helpers;
  // Name for logs and for perf's /tmp/perf-PID.map.
  std::string name = "prog";
  // Append "ADDR SIZE name" to /tmp/perf-PID.map.
  bool perf_map = false;
  // Per-slot JitInsnFlag bits proven by a verifier; empty means nothing is proven.
  std::vector<uint8_t> insn_flags;
  // For tests: use the BMI2 shifts when the host has them.
  bool allow_bmi2 = true;
  // For tests: behave as if the host lacked a CPU feature the JIT needs.
  bool simulate_missing_cpu_feature = false;
};

// Translates a decoded, validated program. Refuses (ErrorCode::kUnsupported, naming the
// instruction) what the interpreter cannot run either: kfunc calls, the legacy packet loads
// and lddw with src != 0; refuses (ErrorCode::kJit) a call to a helper id that is not in
// options.helpers.
Result<std::unique_ptr<Executable>> jit_compile(const std::vector<Insn>& insns,
                                                const JitOptions& options);

// The native code the JIT makes for a program, as text: each eBPF instruction as a comment
// above the x86 instructions it became.
Result<std::string> jit_dump(const std::vector<Insn>& insns, const JitOptions& options);

// True when the host can run jitted code (an x86-64 CPU).
bool jit_available();

}  // namespace bpfjit
