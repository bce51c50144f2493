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
// - trusted: no runtime memory checks and no call-depth count, for programs the verifier
//   proved safe (it bounds the call depth to kMaxCallDepth frames as well).
//
// A bpf-to-bpf call costs what a native call does: the callee's frame is r10 - 512 (no
// copy of the register file, arguments stay in place), the return address is on the
// native stack, and only the registers of r6..r9 that the callee's body names are saved.
//
// Constant blinding (JitOptions::harden, as the kernel's bpf_jit_harden): no 32-bit or
// 64-bit immediate of the program, nor a constant the JIT derives from one (a mask, a
// folded displacement, a loop bound), appears verbatim in code memory. Each such value v
// is emitted as v ^ key and key, combined in a register at run time (mov r, v ^ key ;
// xor r, key), with a fresh random key per use drawn from a generator seeded by getrandom
// at each compile. Left as they are, as in the kernel: memory offsets (16 bits), shift
// counts (masked to 0..63), helper ids (the code holds the helper's address), jump
// targets, and values that need no immediate at all (mov 0 is xor, jeq 0 is test).
//
// Code memory is mapped writable while it is filled and executable afterwards, never both,
// between two PROT_NONE guard pages, and unmapped with the Executable.
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
#include "runtime/isa/run_stack.h"

namespace bpfjit {

// Per-instruction facts a verifier has proven, that let the JIT leave out a check
// (JitOptions::insn_flags, indexed by slot).
enum JitInsnFlag : uint8_t {
  kSkipMemCheck = 1 << 0,        // the access is proven inside an allowed region
  kDivisorNonZero = 1 << 1,      // the divisor register is proven non-zero
  kDivisorNotMinusOne = 1 << 2,  // the signed divisor register is proven not -1
};

// A bpf_map_lookup_elem call the JIT does in place (trusted mode only), as the kernel's
// array_map_gen_lookup: for a call at `slot` where a verifier proved that r1 is this array
// map on every path (verifier.h VerifyResult::lookup_maps) and r2 a readable key, r0 =
//   index = *(u32 *)r2 ; index < max_entries ? values + index * stride
//                                              + RunContext::cpu * cpu_stride : 0
// with no helper call (the address the helper's lookup gives; cpu_stride is 0 but for
// per-CPU arrays). r1..r5 are left as they were (a call clobbers them anyway).
struct JitArrayLookup {
  uint32_t slot = 0;
  uint64_t values = 0;
  uint64_t stride = 0;
  uint64_t cpu_stride = 0;
  uint32_t max_entries = 0;
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
  // In-place array lookups (see JitArrayLookup), ignored in checked mode. Each slot must
  // hold a call to helper 1 (bpf_map_lookup_elem).
  std::vector<JitArrayLookup> array_lookups;
  // Constant blinding (see above).
  bool harden = false;
  // For tests: lower trees of compares on one register to jump tables (jit/switches.h).
  bool jump_tables = true;
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

// The native code of an Executable that jit_compile made (for tests that inspect it), or
// an empty span for any other Executable.
std::span<const uint8_t> jit_code(const Executable& exe);

// The whole mapping of that code, its PROT_NONE guard pages included (for tests), or all
// zeros for any other Executable.
GuardedSpan jit_code_mapping(const Executable& exe);

// Tail calls: after a successful bpf_tail_call the code asks RunContext::tail_resolve for
// the target and, when it gets one, jumps into the target's code with a fresh frame (no
// return to the runtime, no new native frame, the tail-call count unchanged); otherwise the
// run ends with ctx.tail_call_target set, as before. Only from the activation of run(),
// not from a callback through invoke. True when code compiled as `to` may continue a run
// of `from` that way: both are jit_compile's, in the same mode (checked or trusted).
bool jit_can_tail_jump(const Executable& from, const Executable& to);

// For tests: the tail calls this thread's runs continued by jumping into the target.
uint64_t jit_tail_jumps();

// True when the host can run jitted code (an x86-64 CPU).
bool jit_available();

}  // namespace bpfjit
